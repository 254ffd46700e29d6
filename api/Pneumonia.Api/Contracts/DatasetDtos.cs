namespace Pneumonia.Api.Contracts;

/// <summary>Images and bytes of one split and label ("unlabelled" for uploads without a label).</summary>
public sealed record SplitLabelCountDto(string Split, string Label, int Images, long Bytes);

/// <summary>One upload or import batch.</summary>
public sealed record BatchSummaryDto(string BatchId, string Source, DateTimeOffset CreatedAt, int Accepted, int Duplicates, int Rejected, int AcceptedNormal, int AcceptedPneumonia, int AcceptedUnlabelled);

/// <summary>Minimum, median, mean and maximum of a quantity.</summary>
public sealed record Distribution(double Min, double Median, double Mean, double Max);

/// <summary>Sizes of the labelled images.</summary>
public sealed record ImageSizeStatistics(int Images, Distribution Width, Distribution Height, Distribution Bytes);

/// <summary>The answer of <c>GET /dataset/stats</c>.</summary>
public sealed record DatasetStatsResponse(int TotalImages, long TotalBytes, IReadOnlyList<SplitLabelCountDto> Counts, ImageSizeStatistics? Sizes, IReadOnlyList<BatchSummaryDto> Batches);

/// <summary>A sample image: a small grey PNG (base64) and its intensity histogram.</summary>
public sealed record SampleImageDto(string Sha256, string Label, string Split, int Width, int Height, string ThumbnailPng, IReadOnlyList<int> Histogram);

/// <summary>Intensity histogram of a label's sampled images (32 bins over 0-255, fractions summing to 1).</summary>
public sealed record LabelHistogramDto(string Label, int Images, IReadOnlyList<double> Histogram);

/// <summary>The answer of <c>GET /dataset/samples</c>: a deterministic sample per label with thumbnails and histograms.</summary>
public sealed record DatasetSamplesResponse(int Bins, IReadOnlyList<LabelHistogramDto> Histograms, IReadOnlyList<SampleImageDto> Samples);
