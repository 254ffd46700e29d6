using System.Text;
using Pneumonia.Abstractions;
using Pneumonia.Notebooks.Charts;
using Pneumonia.Notebooks.Rendering;

namespace Pneumonia.Notebooks.Views;

/// <summary>One classified file, whichever way it was classified (grain call or REST).</summary>
public sealed record ClassifiedImage(string Path, string Via, string Label, double Probability, double Threshold, string ModelVersion, byte[]? HeatmapPng)
{
    public static ClassifiedImage FromGrain(string path, PredictionOutcome outcome) =>
        outcome.Result is { } r
            ? new(path, "grain", r.Label, r.Probability, r.Threshold, r.ModelVersion, r.HeatmapPng)
            : throw new InvalidOperationException($"{path}: {outcome.ErrorCode} {outcome.Error}");

    public static ClassifiedImage FromApi(string path, ApiPrediction p) =>
        new(path, "REST", p.Label, p.Probability, p.Threshold, p.ModelVersion, p.Heatmap is null ? null : Convert.FromBase64String(p.Heatmap));
}

/// <summary>The Predict notebook's views: image, heatmap, probability against the threshold, batch tables.</summary>
public static class PredictionViews
{
    private static readonly string[] Labels = ["NORMAL", "PNEUMONIA"];

    /// <summary>Test images from a folder with NORMAL/ and PNEUMONIA/ subfolders (the first <paramref name="perLabel"/> of each, by name).</summary>
    public static IReadOnlyList<string> PickImages(string folder, int perLabel) =>
        Labels.SelectMany(label => Directory.EnumerateFiles(Path.Combine(folder, label)).Order(StringComparer.Ordinal).Take(perLabel)).ToArray();

    /// <summary>The X-ray, its class-activation heatmap overlay and where its probability falls against the threshold.</summary>
    public static HtmlView Card(ClassifiedImage image)
    {
        var html = new StringBuilder("<div class=\"prediction\" style=\"display:flex;gap:12px;align-items:center\">");
        html.Append(Html.Image(Convert.ToBase64String(File.ReadAllBytes(image.Path)), "x-ray", 160).Replace("image/png", Mime(image.Path), StringComparison.Ordinal));
        if (image.HeatmapPng is not null)
        {
            html.Append(Html.Image(Convert.ToBase64String(image.HeatmapPng), "heatmap overlay", 160));
        }

        var width = (int)Math.Round(image.Probability * 200);
        var threshold = (int)Math.Round(image.Threshold * 200);
        html.Append("<div><strong>").Append(Html.Encode(Path.GetFileName(image.Path))).Append("</strong> via ").Append(image.Via)
            .Append("<br/>").Append(image.Label).Append($": P(pneumonia) = {image.Probability:0.000}, threshold {image.Threshold:0.000}")
            .Append("<div style=\"position:relative;width:200px;height:12px;background:#eee\">")
            .Append($"<div style=\"width:{width}px;height:12px;background:{(image.Probability >= image.Threshold ? "#d62728" : "#1f77b4")}\"></div>")
            .Append($"<div style=\"position:absolute;left:{threshold}px;top:-3px;width:2px;height:18px;background:black\"></div></div>")
            .Append(Html.Encode(image.ModelVersion)).Append("</div></div>");
        return new HtmlView(html.ToString());
    }

    /// <summary>A card per image.</summary>
    public static HtmlView Cards(IEnumerable<ClassifiedImage> images) => new(string.Concat(images.Select(i => Card(i).Html)));

    /// <summary>Probability per image with the model's threshold beside it.</summary>
    public static Figure ProbabilityChart(IReadOnlyList<ClassifiedImage> images) =>
        Figure.From(new BarChartSpec("P(pneumonia) against the threshold", "image", "probability",
            images.Select(i => $"{Path.GetFileNameWithoutExtension(i.Path)} ({i.Via})").ToArray(),
            [new BarSeries("P(pneumonia)", images.Select(i => i.Probability).ToArray()), new BarSeries("threshold", images.Select(i => i.Threshold).ToArray())],
            Stacked: false));

    /// <summary>A batch as a table: file, true label (its folder), prediction, probability.</summary>
    public static HtmlView BatchTable(IReadOnlyList<ClassifiedImage> images) =>
        Html.Table(["file", "folder", "predicted", "P(pneumonia)", "threshold", "via", "model"],
            images.Select(i => (IReadOnlyList<object?>)[Path.GetFileName(i.Path), Path.GetFileName(Path.GetDirectoryName(i.Path)), i.Label, i.Probability, i.Threshold, i.Via, i.ModelVersion]),
            $"{images.Count} images, {images.Count(i => string.Equals(i.Label, Path.GetFileName(Path.GetDirectoryName(i.Path)), StringComparison.OrdinalIgnoreCase))} agree with their folder");

    private static string Mime(string path) => path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg";
}
