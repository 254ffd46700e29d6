using Pneumonia.Reliability.Tests.Infrastructure;

namespace Pneumonia.Reliability.Tests;

/// <summary><c>pneumonia evaluate --perturbations</c> and <c>pneumonia ood measure</c> as users run them, on a small imported test split.</summary>
[Collection(ProcessTests.Name)]
public sealed class EvaluateCommandTests
{
    [Fact]
    public async Task Evaluate_with_perturbations_writes_one_row_per_perturbation_and_ood_measure_its_table()
    {
        using var root = new TempDirectory();
        var source = root.Combine("kaggle");
        foreach (var (name, bytes, label) in Files.Xrays("test", 4, skip: 40))
        {
            Directory.CreateDirectory(Path.Combine(source, "test", label));
            await File.WriteAllBytesAsync(Path.Combine(source, "test", label, name), bytes);
        }

        var data = root.Combine("data");
        Assert.Equal(0, (await Cli.RunAsync("import", source, "--data", data)).ExitCode);
        var model = root.Combine("model");
        TinyModel.Create(model);
        var report = root.Combine("BENCHMARKS.md");

        var (code, output) = await Cli.RunAsync("evaluate", "--model", model, "--data", data, "--perturbations", "--downscale", "64", "--report", report);

        Assert.True(code == 0, output);
        var rows = File.ReadAllLines(report).Where(line => line.StartsWith("| ", StringComparison.Ordinal)).Skip(2).ToList();
        Assert.Equal(
            ["clean", "Gaussian noise sigma 4", "Gaussian noise sigma 8", "JPEG quality 30", "rotation -7 degrees", "rotation +7 degrees",
             "zoom in 10%", "zoom out 8%", "brightness x0.8", "brightness x1.2", "contrast x0.8", "gamma 0.7", "horizontal flip", "downscaled to 64 px"],
            rows.Select(r => r.Split('|')[1].Trim()));
        Assert.Contains("8 labelled images of the test split", File.ReadAllText(report), StringComparison.Ordinal);

        var (measureCode, measured) = await Cli.RunAsync("ood", "measure", "--model", model, "--data", data, "--synthetic", "2");
        Assert.True(measureCode == 0, measured);
        Assert.Contains("| official test split (X-rays) | 8 | 0 | 8 |", measured, StringComparison.Ordinal);
        Assert.Contains("| uniform-noise, made in code | 2 | 0 | 2 | 2 | 100.0 % |", measured, StringComparison.Ordinal);
    }
}
