using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Pneumonia.Notebooks.Tests;

/// <summary>
/// Turns a notebook run by dotnet-repl into the copy committed to the repository: GitHub does not run JavaScript,
/// so each Plotly chart output becomes a PNG (rendered by headless Chromium) and everything else stays as it is.
/// </summary>
internal static partial class StaticNotebook
{
    public static async Task WriteAsync(string runNotebook, string committedNotebook, string workDirectory)
    {
        var notebook = JsonNode.Parse(await File.ReadAllTextAsync(runNotebook))!.AsObject();
        // The committed cells' ids (nbformat 4.5) survive a refresh, whatever the runner does with them.
        var committedIds = File.Exists(committedNotebook)
            ? JsonNode.Parse(await File.ReadAllTextAsync(committedNotebook))!["cells"]!.AsArray().Select(c => c?["id"]?.GetValue<string>()).ToList()
            : [];
        var index = 0;
        foreach (var cell in notebook["cells"]!.AsArray().Select(c => c!.AsObject()))
        {
            if (index < committedIds.Count && committedIds[index] is { } id)
            {
                cell["id"] = id;
            }

            index++;
            // dotnet-repl stamps every cell with its run times: noise in a committed file.
            foreach (var key in cell["metadata"]?.AsObject().Select(p => p.Key).Where(k => k.StartsWith("dotnet_repl_", StringComparison.Ordinal)).ToList() ?? [])
            {
                cell["metadata"]!.AsObject().Remove(key);
            }

            if (cell["outputs"] is null)
            {
                continue;
            }

            var outputs = new JsonArray();
            foreach (var output in cell["outputs"]!.AsArray().Select(o => o!.DeepClone().AsObject()))
            {
                var html = Text(output["data"]?["text/html"]);
                var figures = FigureJson().Matches(html).Select(m => m.Groups[1].Value).ToList();
                if (figures.Count == 0)
                {
                    outputs.Add(output);
                    continue;
                }

                foreach (var figure in figures)
                {
                    var png = await ChromiumScreenshot.RenderAsync(figure, workDirectory);
                    var title = JsonNode.Parse(figure)?["layout"]?["title"]?["text"]?.GetValue<string>() ?? "chart";
                    outputs.Add(new JsonObject
                    {
                        ["output_type"] = "display_data",
                        ["metadata"] = new JsonObject(),
                        ["data"] = new JsonObject { ["image/png"] = Convert.ToBase64String(png), ["text/plain"] = $"Plotly chart: {title}" },
                    });
                }
            }

            cell["outputs"] = outputs;
        }

        await File.WriteAllTextAsync(committedNotebook, notebook.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private static string Text(JsonNode? value) => value switch
    {
        JsonArray lines => string.Concat(lines.Select(l => l?.GetValue<string>())),
        JsonValue text => text.GetValue<string>(),
        _ => "",
    };

    [GeneratedRegex(@"var figure = (\{.*?\});\n", RegexOptions.Singleline)]
    private static partial Regex FigureJson();
}
