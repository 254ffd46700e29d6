namespace Pneumonia.Abstractions;

/// <summary>The outcome of registering one image: added now, or already known (the record stored first is returned).</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.ImageRegistration")]
public sealed record ImageRegistration([property: Id(0)] bool Added, [property: Id(1)] ImageRecord Record);

[Alias("pneumonia.UploadFileStatus")]
public enum UploadFileStatus
{
    Accepted = 0,
    Duplicate = 1,
    Rejected = 2,
}

/// <summary>What happened to one file (or one archive entry) of an upload.</summary>
/// <param name="Name">The client's name for it (archive entries: their path inside the archive).</param>
/// <param name="Reason">Why it was rejected, or which earlier image it duplicates.</param>
/// <param name="ModelProbability">The production model's calibrated probability of PNEUMONIA for a labelled image (the label screen).</param>
/// <param name="Disputed">The production model strongly disagrees with the uploader's label.</param>
[GenerateSerializer, Immutable, Alias("pneumonia.UploadFileResult")]
public sealed record UploadFileResult(
    [property: Id(0)] string Name,
    [property: Id(1)] UploadFileStatus Status,
    [property: Id(2)] string? Sha256,
    [property: Id(3)] ImageLabel? Label,
    [property: Id(4)] string? Reason,
    [property: Id(5)] double? ModelProbability = null,
    [property: Id(6)] bool Disputed = false);

/// <summary>One upload request: every file's outcome. Batches are written once and never changed or deleted.</summary>
/// <param name="Screen">What the label screen found, for a batch with labelled images screened by a production model.</param>
[GenerateSerializer, Immutable, Alias("pneumonia.UploadBatch")]
public sealed record UploadBatch(
    [property: Id(0)] string BatchId,
    [property: Id(1)] string Source,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] IReadOnlyList<UploadFileResult> Files,
    [property: Id(4)] LabelScreenSummary? Screen = null)
{
    public int Accepted => Files.Count(f => f.Status == UploadFileStatus.Accepted);
    public int Duplicates => Files.Count(f => f.Status == UploadFileStatus.Duplicate);
    public int Rejected => Files.Count(f => f.Status == UploadFileStatus.Rejected);
}

/// <summary>A batch without its per-file rows, for listings.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.UploadBatchSummary")]
public sealed record UploadBatchSummary(
    [property: Id(0)] string BatchId,
    [property: Id(1)] string Source,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] int Accepted,
    [property: Id(4)] int Duplicates,
    [property: Id(5)] int Rejected,
    [property: Id(6)] int AcceptedNormal,
    [property: Id(7)] int AcceptedPneumonia,
    [property: Id(8)] int AcceptedUnlabelled,
    [property: Id(9)] BatchTrainingUse TrainingUse = BatchTrainingUse.Used,
    [property: Id(10)] int GateImages = 0,
    [property: Id(11)] LabelScreenSummary? Screen = null);

/// <summary>Images and bytes per split and label ("unlabelled" for null labels).</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.SplitLabelCount")]
public sealed record SplitLabelCount(
    [property: Id(0)] ImageSplit Split,
    [property: Id(1)] ImageLabel? Label,
    [property: Id(2)] int Images,
    [property: Id(3)] long Bytes);

/// <summary>The dataset at a glance: counts per split and label, per source, and the upload history.</summary>
/// <param name="GateSet">The promotion gate's fixed evaluation set (its images are counted in <paramref name="Counts"/> under their stored split too).</param>
/// <param name="BaseData">Whether the base data set was found and imported.</param>
/// <param name="LabelledSizes">Sizes of the labelled images (gate set and held batches included); null when there are none.</param>
[GenerateSerializer, Immutable, Alias("pneumonia.DatasetStatistics")]
public sealed record DatasetStatistics(
    [property: Id(0)] int TotalImages,
    [property: Id(1)] long TotalBytes,
    [property: Id(2)] IReadOnlyList<SplitLabelCount> Counts,
    [property: Id(3)] IReadOnlyList<UploadBatchSummary> Batches,
    [property: Id(4)] GateSetSummary? GateSet = null,
    [property: Id(5)] BaseDataStatus? BaseData = null,
    [property: Id(6)] ImageSizeSummary? LabelledSizes = null);

/// <summary>Whether a batch's images are trained on.</summary>
[Alias("pneumonia.BatchTrainingUse")]
public enum BatchTrainingUse
{
    /// <summary>Trained on (and its held-out share is in the gate set).</summary>
    Used = 0,

    /// <summary>The label screen found far more disputed labels than usual: kept, but not used until a person confirms it.</summary>
    HeldForReview = 1,

    /// <summary>Was held; a person confirmed its labels, so it is used.</summary>
    Confirmed = 2,
}

/// <summary>The production model's opinion of one labelled upload image.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.LabelCheck")]
public sealed record LabelCheck(
    [property: Id(0)] string Sha256,
    [property: Id(1)] double Probability,
    [property: Id(2)] bool Disputed);

/// <summary>
/// What the label screen found in one batch: how many labels the production model strongly disputes, against the
/// rate expected of correctly labelled images, and whether the batch is held out of training for review.
/// </summary>
/// <param name="ExpectedDisputeRate">The rate of disputed labels expected of a correctly labelled batch.</param>
/// <param name="Reason">For a person: why the batch is (not) held.</param>
[GenerateSerializer, Immutable, Alias("pneumonia.LabelScreenSummary")]
public sealed record LabelScreenSummary(
    [property: Id(0)] string ModelVersion,
    [property: Id(1)] int Checked,
    [property: Id(2)] int Disputed,
    [property: Id(3)] double ExpectedDisputeRate,
    [property: Id(4)] bool Held,
    [property: Id(5)] string Reason);

/// <summary>The label screen of one batch: the summary and each checked image.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.LabelScreen")]
public sealed record LabelScreen(
    [property: Id(0)] LabelScreenSummary Summary,
    [property: Id(1)] IReadOnlyList<LabelCheck> Checks);

[Alias("pneumonia.BaseDataState")]
public enum BaseDataState
{
    /// <summary>No base data set is configured: retrains use uploads only.</summary>
    NotConfigured = 0,

    /// <summary>Configured, but nothing is at the path.</summary>
    NotFound = 1,

    Importing = 2,

    Imported = 3,

    Failed = 4,
}

/// <summary>The base data set's import, as the silo that imports it reports it.</summary>
/// <param name="Message">One plain sentence for people and logs.</param>
[GenerateSerializer, Immutable, Alias("pneumonia.BaseDataStatus")]
public sealed record BaseDataStatus(
    [property: Id(0)] BaseDataState State,
    [property: Id(1)] string? Path,
    [property: Id(2)] string Message,
    [property: Id(3)] DateTimeOffset At);

/// <summary>
/// A position in a paged image listing: the batch (batches are listed in the order they were added, and never removed
/// or reordered) and the offset among that batch's images (written once). Images added later join new batches at the
/// end, so a listing read page by page returns every image that was there when it started exactly once, whatever is
/// added in between. Clients see it as an opaque string (<see cref="ToString"/>, <see cref="TryParse"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("pneumonia.DatasetCursor")]
public sealed record DatasetCursor([property: Id(0)] int Batch, [property: Id(1)] int Offset)
{
    public static DatasetCursor Start { get; } = new(0, 0);

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Batch}.{Offset}");

    /// <summary>Reads a cursor written by <see cref="ToString"/>; false for anything else.</summary>
    public static bool TryParse(string? text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DatasetCursor? cursor)
    {
        cursor = null;
        var parts = text?.Split('.') ?? [];
        if (parts.Length != 2
            || !int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var batch)
            || !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var offset))
        {
            return false;
        }

        cursor = new DatasetCursor(batch, offset);
        return true;
    }
}

/// <summary>One page of an image listing.</summary>
/// <param name="Next">Where the next page starts; null when the listing has ended. A page may hold fewer images than asked for (even none) while more follow.</param>
[GenerateSerializer, Immutable, Alias("pneumonia.ImagePage")]
public sealed record ImagePage([property: Id(0)] IReadOnlyList<ImageRecord> Images, [property: Id(1)] DatasetCursor? Next);

/// <summary>Minimum, median, mean and maximum of one quantity over the labelled images.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.ValueSummary")]
public sealed record ValueSummary([property: Id(0)] double Min, [property: Id(1)] double Median, [property: Id(2)] double Mean, [property: Id(3)] double Max);

/// <summary>
/// Sizes of the labelled images, from counters the dataset grain keeps as batches arrive (no rows are read). Widths
/// and heights are exact; the median of <see cref="Bytes"/> is exact to within <see cref="BytesMedianPrecision"/>
/// (sizes are counted in buckets that narrow), its minimum, mean and maximum are exact.
/// </summary>
[GenerateSerializer, Immutable, Alias("pneumonia.ImageSizeSummary")]
public sealed record ImageSizeSummary(
    [property: Id(0)] int Images,
    [property: Id(1)] ValueSummary Width,
    [property: Id(2)] ValueSummary Height,
    [property: Id(3)] ValueSummary Bytes)
{
    /// <summary>The largest relative error of the median of <see cref="Bytes"/>.</summary>
    public const double BytesMedianPrecision = 0.002;
}

/// <summary>Counts a retrain is judged on before it starts, without moving every row.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.TrainingReadiness")]
public sealed record TrainingReadiness(
    [property: Id(0)] int TrainNormal,
    [property: Id(1)] int TrainPneumonia,
    [property: Id(2)] int GateNormal,
    [property: Id(3)] int GatePneumonia,
    [property: Id(4)] int HeldOutImages,
    [property: Id(5)] BaseDataStatus? BaseData);
