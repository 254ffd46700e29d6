using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pneumonia.Notebooks.Tests;

/// <summary>
/// Every notebook runs headlessly in the stock dotnet-repl tool (FSharp.Core 10.0, unpatched) against a real
/// cluster, and every file-based app writes its page: any failing cell or exception fails the test, and the
/// expected charts (Plotly figures drawn by Plotly.NET) and tables must be in the outputs.
/// The order matters and is fixed: the retraining flow makes the versions the model report shows.
/// </summary>
public sealed partial class NotebookTests(NotebookCluster cluster) : IClassFixture<NotebookCluster>
{
    private static readonly (string Name, int Figures, int Tables)[] Flows =
    [
        ("dataset", 4, 2),
        ("predict", 1, 1),
        ("retraining", 5, 3),
        ("model-report", 4, 3),
    ];

    private static string NotebooksFolder => Path.Combine(TestData.RepositoryRoot, "notebooks");

    [Fact]
    public async Task Notebooks_run_in_dotnet_repl_and_show_their_charts_and_tables()
    {
        var restore = await cluster.RunAsync("dotnet", "tool restore");
        Assert.True(restore.ExitCode == 0, restore.Output);
        foreach (var (name, figures, tables) in Flows)
        {
            var output = Path.Combine(cluster.OutputDirectory, name + ".ipynb");
            Directory.CreateDirectory(cluster.OutputDirectory);
            var run = await cluster.RunAsync("dotnet", $"tool run dotnet-repl -- --run {name}.ipynb --exit-after-run --output-path \"{output}\"", NotebooksFolder);
            Assert.True(run.ExitCode == 0, $"{name}.ipynb failed ({run.ExitCode}):\n{run.Output}\n{(File.Exists(output) ? Errors(await File.ReadAllTextAsync(output)) : "")}");

            using var notebook = JsonDocument.Parse(await File.ReadAllTextAsync(output));
            var html = string.Concat(notebook.RootElement.GetProperty("cells").EnumerateArray()
                .Where(c => c.GetProperty("cell_type").GetString() == "code")
                .SelectMany(c => c.GetProperty("outputs").EnumerateArray())
                .Where(o => o.TryGetProperty("data", out var data) && data.TryGetProperty("text/html", out _))
                .Select(o => Text(o.GetProperty("data").GetProperty("text/html"))));
            Assert.DoesNotContain("\"output_type\": \"error\"", await File.ReadAllTextAsync(output), StringComparison.Ordinal);
            AssertViews(name, html, figures, tables);
            if (RefreshCommittedOutputs)
            {
                await StaticNotebook.WriteAsync(output, Path.Combine(NotebooksFolder, name + ".ipynb"), Path.Combine(cluster.OutputDirectory, "png"));
            }
        }
    }

    /// <summary>
    /// What a reader on GitHub sees: every committed notebook carries its charts as PNG outputs (GitHub runs no
    /// JavaScript) and stays small. Refreshed by running this class with PNEUMONIA_REFRESH_NOTEBOOK_OUTPUTS=1.
    /// </summary>
    [Fact]
    public void Committed_notebooks_carry_small_outputs_with_their_charts_as_images()
    {
        foreach (var (name, figures, _) in Flows)
        {
            var path = Path.Combine(NotebooksFolder, name + ".ipynb");
            Assert.True(new FileInfo(path).Length < 1_000_000, $"{name}.ipynb is over 1 MB");
            using var notebook = JsonDocument.Parse(File.ReadAllText(path));
            var images = notebook.RootElement.GetProperty("cells").EnumerateArray()
                .Where(c => c.TryGetProperty("outputs", out _)).SelectMany(c => c.GetProperty("outputs").EnumerateArray())
                .Count(o => o.TryGetProperty("data", out var data) && data.TryGetProperty("image/png", out _));
            Assert.True(images >= figures, $"{name}.ipynb: {images} chart images committed, {figures} expected");
        }
    }

    /// <summary>
    /// nbformat 4.5 as the schema wants it (a unique id on every cell), a cell tagged "parameters" that the connect
    /// cell reads, no formatter code in the notebook (the helper library registers it), and a banner saying what the
    /// committed outputs come from.
    /// </summary>
    [Theory]
    [InlineData("dataset")]
    [InlineData("predict")]
    [InlineData("retraining")]
    [InlineData("model-report")]
    public void Committed_notebooks_have_cell_ids_a_parameters_cell_and_say_what_their_outputs_come_from(string name)
    {
        using var notebook = JsonDocument.Parse(File.ReadAllText(Path.Combine(NotebooksFolder, name + ".ipynb")));
        var root = notebook.RootElement;
        Assert.Equal((4, 5), (root.GetProperty("nbformat").GetInt32(), root.GetProperty("nbformat_minor").GetInt32()));
        var cells = root.GetProperty("cells").EnumerateArray().ToList();
        var ids = cells.Select(c => c.TryGetProperty("id", out var id) ? id.GetString() : null).ToList();
        Assert.All(ids, id => Assert.Matches("^[a-zA-Z0-9_-]{1,64}$", id ?? ""));
        Assert.Equal(ids.Count, ids.Distinct().Count());

        var parameters = Assert.Single(cells, c => c.GetProperty("metadata").TryGetProperty("tags", out var tags)
            && tags.EnumerateArray().Any(t => t.GetString() == "parameters"));
        Assert.Contains("int? portOffset = null;", Text(parameters.GetProperty("source")), StringComparison.Ordinal);
        var sources = cells.Select(c => Text(c.GetProperty("source"))).ToList();
        Assert.Contains(sources, source => source.Contains("NotebookSession.ConnectAsync(parameters:", StringComparison.Ordinal));
        Assert.DoesNotContain(sources, source => source.Contains("Formatter.Register", StringComparison.Ordinal));
        Assert.Contains(sources, source => source.Contains("About the outputs saved in this file", StringComparison.Ordinal));
    }

    private static bool RefreshCommittedOutputs => Environment.GetEnvironmentVariable("PNEUMONIA_REFRESH_NOTEBOOK_OUTPUTS") == "1";

    [Fact]
    public async Task File_based_apps_write_the_same_charts_as_html_pages()
    {
        foreach (var (name, figures, tables) in Flows)
        {
            var run = await cluster.RunAsync("dotnet", $"run notebooks/{name}.cs");
            Assert.True(run.ExitCode == 0, $"notebooks/{name}.cs failed ({run.ExitCode}):\n{run.Output}");
            var page = await File.ReadAllTextAsync(Path.Combine(cluster.OutputDirectory, name + ".html"));
            Assert.True(page.Length > 3_000_000, "plotly.js is embedded so the page renders offline");
            Assert.DoesNotContain("<script src=", page, StringComparison.Ordinal); // no CDN: nothing is loaded from elsewhere
            AssertViews(name, page, figures, tables);
        }
    }

    private static void AssertViews(string name, string html, int figures, int tables)
    {
        Assert.True(FigureDiv().Count(html) >= figures, $"{name}: expected {figures} Plotly figures, found {FigureDiv().Count(html)}");
        Assert.True(Regex.Count(html, "<table", RegexOptions.None, TimeSpan.FromSeconds(5)) >= tables, $"{name}: expected {tables} tables");
        Assert.Contains("\"data\":[{\"type\":", html, StringComparison.Ordinal);
    }

    private static string Errors(string notebook) =>
        string.Join("\n", JsonDocument.Parse(notebook).RootElement.GetProperty("cells").EnumerateArray()
            .Where(c => c.TryGetProperty("outputs", out _)).SelectMany(c => c.GetProperty("outputs").EnumerateArray())
            .Where(o => o.GetProperty("output_type").GetString() is "error" or "stream").Select(o => o.ToString()));

    private static string Text(JsonElement value) =>
        value.ValueKind == JsonValueKind.Array ? string.Concat(value.EnumerateArray().Select(l => l.GetString())) : value.GetString() ?? "";

    [GeneratedRegex("class=\"plotly-figure\"")]
    private static partial Regex FigureDiv();
}
