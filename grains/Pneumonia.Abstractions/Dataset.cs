namespace Pneumonia.Abstractions;

/// <summary>What an X-ray shows, as far as its uploader or the source dataset says.</summary>
[Alias("pneumonia.ImageLabel")]
public enum ImageLabel
{
    Normal = 0,
    Pneumonia = 1,
}

/// <summary>Which part of the data an image belongs to. Test images are only ever evaluated.</summary>
[Alias("pneumonia.ImageSplit")]
public enum ImageSplit
{
    Train = 0,
    Validation = 1,
    Test = 2,
}

/// <summary>One image in the catalogue; the bytes live in the content-addressed image store under <see cref="Sha256"/>.</summary>
/// <param name="Label">Null for an unlabelled upload: kept, never trained on.</param>
/// <param name="Source">"kermany" for the base dataset, otherwise the upload batch id.</param>
/// <param name="OriginalName">The client's file name, for display only: never used as a path.</param>
[GenerateSerializer, Immutable, Alias("pneumonia.ImageRecord")]
public sealed record ImageRecord(
    [property: Id(0)] string Sha256,
    [property: Id(1)] ImageLabel? Label,
    [property: Id(2)] ImageSplit Split,
    [property: Id(3)] string Source,
    [property: Id(4)] string OriginalName,
    [property: Id(5)] long SizeBytes,
    [property: Id(6)] int Width,
    [property: Id(7)] int Height,
    [property: Id(8)] string PatientId,
    [property: Id(9)] DateTimeOffset AddedAt);

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
[GenerateSerializer, Immutable, Alias("pneumonia.UploadFileResult")]
public sealed record UploadFileResult(
    [property: Id(0)] string Name,
    [property: Id(1)] UploadFileStatus Status,
    [property: Id(2)] string? Sha256,
    [property: Id(3)] ImageLabel? Label,
    [property: Id(4)] string? Reason);

/// <summary>One upload request: every file's outcome. Batches are written once and never changed or deleted.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.UploadBatch")]
public sealed record UploadBatch(
    [property: Id(0)] string BatchId,
    [property: Id(1)] string Source,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] IReadOnlyList<UploadFileResult> Files)
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
    [property: Id(8)] int AcceptedUnlabelled);

/// <summary>Images and bytes per split and label ("unlabelled" for null labels).</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.SplitLabelCount")]
public sealed record SplitLabelCount(
    [property: Id(0)] ImageSplit Split,
    [property: Id(1)] ImageLabel? Label,
    [property: Id(2)] int Images,
    [property: Id(3)] long Bytes);

/// <summary>The dataset at a glance: counts per split and label, per source, and the upload history.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.DatasetStatistics")]
public sealed record DatasetStatistics(
    [property: Id(0)] int TotalImages,
    [property: Id(1)] long TotalBytes,
    [property: Id(2)] IReadOnlyList<SplitLabelCount> Counts,
    [property: Id(3)] IReadOnlyList<UploadBatchSummary> Batches);
