using Pneumonia.Abstractions;

namespace Pneumonia.Grains.Dataset;

/// <summary>
/// Counts of the labelled images' widths, heights and file sizes, kept in <see cref="DatasetState"/> as batches are
/// listed, so <c>GET /dataset/stats</c> summarises any number of images without reading a row. Widths and heights are
/// counted per value (a few thousand values at most); file sizes, nearly all distinct, in buckets 1/256 wide on a
/// log scale (their median is exact to within <see cref="ImageSizeSummary.BytesMedianPrecision"/>).
/// </summary>
[GenerateSerializer, Alias("pneumonia.SizeCounters")]
public sealed class SizeCounters
{
    private static readonly double BucketWidth = Math.Log(1 + 1.0 / 256);

    [Id(0)] public int Images { get; set; }

    [Id(1)] public Dictionary<int, int> Widths { get; set; } = [];

    [Id(2)] public Dictionary<int, int> Heights { get; set; } = [];

    [Id(3)] public Dictionary<int, int> ByteBuckets { get; set; } = [];

    [Id(4)] public long MinBytes { get; set; }

    [Id(5)] public long MaxBytes { get; set; }

    [Id(6)] public long TotalBytes { get; set; }

    public void Add(ImageRecord image)
    {
        ArgumentNullException.ThrowIfNull(image);
        MinBytes = Images == 0 ? image.SizeBytes : Math.Min(MinBytes, image.SizeBytes);
        MaxBytes = Images == 0 ? image.SizeBytes : Math.Max(MaxBytes, image.SizeBytes);
        Images++;
        TotalBytes += image.SizeBytes;
        Increment(Widths, image.Width);
        Increment(Heights, image.Height);
        Increment(ByteBuckets, BucketOf(image.SizeBytes));
    }

    /// <summary>The summary, or null before the first labelled image.</summary>
    public ImageSizeSummary? Summarize()
    {
        if (Images == 0)
        {
            return null;
        }

        // A bucket's geometric middle, to the byte (the bucket is wider than a byte from 256 bytes on).
        var bytesMedian = Math.Round(Median(ByteBuckets, bucket => Math.Clamp(Math.Exp((bucket + 0.5) * BucketWidth), MinBytes, MaxBytes)));
        return new ImageSizeSummary(
            Images, Exact(Widths), Exact(Heights), new ValueSummary(MinBytes, bytesMedian, (double)TotalBytes / Images, MaxBytes));
    }

    private ValueSummary Exact(Dictionary<int, int> counts) => new(
        counts.Keys.Min(), Median(counts, value => value), counts.Sum(c => (double)c.Key * c.Value) / Images, counts.Keys.Max());

    // The middle value (the mean of the two middle ones for an even count) of the counted values, in key order.
    private double Median(Dictionary<int, int> counts, Func<int, double> valueOf)
    {
        var (lower, upper) = ((Images - 1) / 2, Images / 2);
        double? low = null;
        var seen = 0;
        foreach (var (key, count) in counts.OrderBy(c => c.Key))
        {
            seen += count;
            if (low is null && seen > lower)
            {
                low = valueOf(key);
            }

            if (seen > upper)
            {
                return (low!.Value + valueOf(key)) / 2;
            }
        }

        throw new InvalidOperationException("The counts add up to fewer images than counted.");
    }

    private static int BucketOf(long bytes) => bytes <= 1 ? 0 : (int)Math.Floor(Math.Log(bytes) / BucketWidth);

    private static void Increment(Dictionary<int, int> counts, int key) => counts[key] = counts.GetValueOrDefault(key) + 1;
}
