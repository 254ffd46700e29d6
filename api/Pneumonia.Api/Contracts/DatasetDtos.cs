namespace Pneumonia.Api.Contracts;

/// <summary>Images and bytes of one split and label ("unlabelled" for uploads without a label).</summary>
public sealed record SplitLabelCountDto(string Split, string Label, int Images, long Bytes);

/// <summary>One upload or import batch.</summary>
/// <param name="TrainingUse">"used", "held_for_review" (the label screen found far more disputed labels than usual; POST /dataset/batches/{id}/confirm uses it) or "confirmed".</param>
/// <param name="GateImages">How many of its images were held out into the gate set.</param>
/// <param name="LabelScreen">What the label screen found, for an upload with labelled images.</param>
public sealed record BatchSummaryDto(
    string BatchId, string Source, DateTimeOffset CreatedAt, int Accepted, int Duplicates, int Rejected, int AcceptedNormal, int AcceptedPneumonia,
    int AcceptedUnlabelled, string TrainingUse, int GateImages, LabelScreenDto? LabelScreen);

/// <summary>The label screen of one batch.</summary>
/// <param name="Checked">Labelled images the production model scored.</param>
/// <param name="Disputed">Labels it strongly disputes.</param>
/// <param name="ExpectedDisputeRate">The share of labels it disputes on correctly labelled images.</param>
/// <param name="Held">The batch is kept out of training until a person confirms it.</param>
public sealed record LabelScreenDto(string ModelVersion, int Checked, int Disputed, double ExpectedDisputeRate, bool Held, string Reason);

/// <summary>The promotion gate's fixed evaluation set: never trained on; candidate and production are compared on it.</summary>
/// <param name="Version">Grows by one whenever images join it.</param>
public sealed record GateSetDto(int Version, int Normal, int Pneumonia, string Rule);

/// <summary>Whether the base data set was found and imported.</summary>
/// <param name="State">"not_configured", "not_found", "importing", "imported" or "failed".</param>
public sealed record BaseDataDto(string State, string? Path, string Message, DateTimeOffset At);

/// <summary>Minimum, median, mean and maximum of a quantity.</summary>
public sealed record Distribution(double Min, double Median, double Mean, double Max);

/// <summary>Sizes of the labelled images (the median of bytes is exact to within 0.2%: file sizes are counted in narrow buckets).</summary>
public sealed record ImageSizeStatistics(int Images, Distribution Width, Distribution Height, Distribution Bytes);

/// <summary>The answer of <c>GET /dataset/stats</c>.</summary>
/// <param name="Training">What a retrain would train on now.</param>
public sealed record DatasetStatsResponse(
    int TotalImages, long TotalBytes, IReadOnlyList<SplitLabelCountDto> Counts, ImageSizeStatistics? Sizes, IReadOnlyList<BatchSummaryDto> Batches,
    GateSetDto? GateSet, BaseDataDto? BaseData, TrainingDataDto Training);

/// <summary>The labelled training images a retrain may use (not the gate set, not the test split, not held batches).</summary>
/// <param name="HeldForReview">Labelled images in batches the label screen holds until a person confirms them.</param>
public sealed record TrainingDataDto(int Normal, int Pneumonia, int HeldForReview);

/// <summary>A sample image: a small grey PNG (base64) and its intensity histogram.</summary>
public sealed record SampleImageDto(string Sha256, string Label, string Split, int Width, int Height, string ThumbnailPng, IReadOnlyList<int> Histogram);

/// <summary>Intensity histogram of a label's sampled images (32 bins over 0-255, fractions summing to 1).</summary>
public sealed record LabelHistogramDto(string Label, int Images, IReadOnlyList<double> Histogram);

/// <summary>The answer of <c>GET /dataset/samples</c>: a deterministic sample per label with thumbnails and histograms.</summary>
public sealed record DatasetSamplesResponse(int Bins, IReadOnlyList<LabelHistogramDto> Histograms, IReadOnlyList<SampleImageDto> Samples);

/// <summary>One catalogued image (the bytes are in the image store under its SHA-256).</summary>
/// <param name="Label">"normal" or "pneumonia".</param>
/// <param name="Source">"kermany" for the base data set, otherwise the upload batch id.</param>
/// <param name="OriginalName">The uploader's file name, for display.</param>
public sealed record ImageDto(
    string Sha256, string Label, string Split, string Source, string OriginalName, long SizeBytes, int Width, int Height, string PatientId, DateTimeOffset AddedAt);

/// <summary>The answer of <c>GET /dataset/images</c>: one page of the labelled images.</summary>
/// <param name="NextCursor">Pass it as <c>cursor</c> for the next page; null when the listing has ended. A page may be shorter than <c>limit</c> while more follow.</param>
public sealed record ImagePageResponse(IReadOnlyList<ImageDto> Images, string? NextCursor);
