using System.Text.Json;
using Pneumonia.Reliability.Tests.Infrastructure;

namespace Pneumonia.Reliability.Tests;

/// <summary>
/// The command line's output when a script reads it (redirected, as here): results as Markdown tables without
/// progress displays or colour codes, and with <c>--json</c> nothing but JSON.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class CliOutputTests
{
    [Fact]
    public async Task Redirected_output_is_plain_tables_and_json_is_only_json()
    {
        using var root = new TempDirectory();
        var source = root.Combine("kaggle");
        var images = Files.Xrays("test", 2, skip: 50);
        var paths = new List<string>();
        foreach (var (name, bytes, label) in images)
        {
            Directory.CreateDirectory(Path.Combine(source, "test", label));
            paths.Add(Path.Combine(source, "test", label, name));
            await File.WriteAllBytesAsync(paths[^1], bytes);
        }

        var data = root.Combine("data");
        var (code, import) = await Cli.RunAsync("import", source, "--data", data);
        Assert.Equal(0, code);
        Assert.Contains("| accepted | duplicates | rejected |", import, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', import);

        var (_, table) = await Cli.RunAsync(["classify", .. paths]);
        Assert.Contains("| file ", table, StringComparison.Ordinal);
        Assert.All(images, image => Assert.Contains($"| {image.Name} ", table, StringComparison.Ordinal));

        var (_, json) = await Cli.RunAsync(["classify", "--json", .. paths]);
        var lines = json.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(images.Count, lines.Length);
        Assert.All(lines, line => Assert.Matches("^(NORMAL|PNEUMONIA)$", JsonDocument.Parse(line).RootElement.GetProperty("label").GetString()));

        var (_, check) = await Cli.RunAsync("check-store", "--data", data, "--json");
        Assert.True(JsonDocument.Parse(check).RootElement.GetProperty("healthy").GetBoolean());
    }
}
