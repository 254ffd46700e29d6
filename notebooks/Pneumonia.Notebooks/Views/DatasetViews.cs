using System.Text;
using Pneumonia.Abstractions;
using Pneumonia.Notebooks.Charts;
using Pneumonia.Notebooks.Rendering;

namespace Pneumonia.Notebooks.Views;

/// <summary>The Dataset notebook's views of <see cref="IDatasetGrain"/> state and the API's sample images.</summary>
public static class DatasetViews
{
    private static readonly string[] Labels = ["NORMAL", "PNEUMONIA", "unlabelled"];

    /// <summary>Images per split, one bar per label.</summary>
    public static Figure ClassBalancePerSplit(DatasetStatistics statistics)
    {
        var splits = Enum.GetValues<ImageSplit>();
        var series = Labels.Select(label => new BarSeries(label, splits
            .Select(split => (double)statistics.Counts.Where(c => c.Split == split && LabelName(c.Label) == label).Sum(c => c.Images))
            .ToArray()));
        return Figure.From(new BarChartSpec("Class balance per split", "split", "images",
            splits.Select(s => s.ToString()).ToArray(), series.Where(s => s.Values.Any(v => v > 0)).ToArray(), Stacked: false));
    }

    /// <summary>Labelled images per source (the base dataset and every upload batch), stacked by label.</summary>
    public static Figure ClassBalancePerSource(IReadOnlyList<ImageRecord> images)
    {
        var sources = images.Select(i => i.Source).Distinct().OrderBy(s => s, StringComparer.Ordinal).ToArray();
        var series = Labels.Take(2).Select(label => new BarSeries(label,
            sources.Select(source => (double)images.Count(i => i.Source == source && LabelName(i.Label) == label)).ToArray()));
        return Figure.From(new BarChartSpec("Labelled images per source", "source", "images", sources, series.ToArray(), Stacked: true));
    }

    /// <summary>Distribution of stored image width, height and file size.</summary>
    public static Figure ImageSizes(IReadOnlyList<ImageRecord> images) =>
        Figure.From(new HistogramChartSpec("Image sizes", "pixels / kilobytes", "images",
        [
            new BarSeries("width (px)", images.Select(i => (double)i.Width).ToArray()),
            new BarSeries("height (px)", images.Select(i => (double)i.Height).ToArray()),
            new BarSeries("file size (KB)", images.Select(i => i.SizeBytes / 1024.0).ToArray()),
        ]));

    /// <summary>Mean grey-level histogram per label (fraction of pixels per intensity bin).</summary>
    public static Figure PixelIntensities(ApiDatasetSamples samples) =>
        Figure.From(new LineChartSpec("Pixel intensity per label", "grey level", "fraction of pixels",
            samples.Histograms.Select(h => new LineSeries($"{h.Label} ({h.Images} images)",
                Enumerable.Range(0, h.Histogram.Count).Select(b => (b + 0.5) * 256.0 / h.Histogram.Count).ToArray(), h.Histogram.ToArray())).ToArray()));

    /// <summary>A grid of sample thumbnails, one row per label.</summary>
    public static HtmlView SampleGrid(ApiDatasetSamples samples, int perLabel = 6)
    {
        var html = new StringBuilder("<div class=\"sample-grid\">");
        foreach (var group in samples.Samples.GroupBy(s => s.Label))
        {
            html.Append("<div><strong>").Append(Html.Encode(group.Key)).Append("</strong><br/>");
            foreach (var sample in group.Take(perLabel))
            {
                html.Append(Html.Image(sample.ThumbnailPng, $"{sample.Label} {sample.Split} {sample.Sha256[..12]}", 112)).Append(' ');
            }

            html.Append("</div>");
        }

        return new HtmlView(html.Append("</div>").ToString());
    }

    /// <summary>Every upload batch with its per-batch results.</summary>
    public static HtmlView UploadHistory(DatasetStatistics statistics) =>
        Html.Table(["batch", "created", "accepted", "duplicates", "rejected", "NORMAL", "PNEUMONIA", "unlabelled"],
            statistics.Batches.Select(b => (IReadOnlyList<object?>)[b.BatchId, b.CreatedAt, b.Accepted, b.Duplicates, b.Rejected, b.AcceptedNormal, b.AcceptedPneumonia, b.AcceptedUnlabelled]),
            $"Upload history: {statistics.Batches.Count} batches");

    /// <summary>Totals per split and label.</summary>
    public static HtmlView CountsTable(DatasetStatistics statistics) =>
        Html.Table(["split", "label", "images", "MB"],
            statistics.Counts.Select(c => (IReadOnlyList<object?>)[c.Split, LabelName(c.Label), c.Images, c.Bytes / 1e6]),
            $"{statistics.TotalImages} images, {statistics.TotalBytes / 1e6:0.#} MB");

    private static string LabelName(ImageLabel? label) => label switch
    {
        ImageLabel.Normal => "NORMAL",
        ImageLabel.Pneumonia => "PNEUMONIA",
        _ => "unlabelled",
    };
}
