namespace Pneumonia.Api.Contracts;

/// <summary>A file or archive entry that was not added.</summary>
/// <param name="Name">The client's file name, or the entry's path inside its archive.</param>
/// <param name="Reason">For a person: what was wrong, naming the limit where one applies.</param>
/// <param name="Code">Machine-readable: an image problem (Empty, TooLarge, NotAnImage, UnsupportedFormat, TooManyPixels, Corrupt, TrailingData: bytes appended after the image's end) or an archive problem (UnsafeName, NotRegularFile, NestedArchive, TooManyEntries, ArchiveTooLarge, CorruptArchive, EmptyArchive).</param>
public sealed record RejectedFile(string Name, string Reason, string Code);

/// <summary>One file or entry of an upload and what happened to it.</summary>
/// <param name="Status">"accepted", "duplicate" or "rejected".</param>
/// <param name="Label">"NORMAL", "PNEUMONIA" or null (kept, not trained on).</param>
/// <param name="ModelProbability">The production model's calibrated probability of PNEUMONIA for a labelled image (the label screen).</param>
/// <param name="LabelDisputed">The production model strongly disagrees with the label: worth a second look.</param>
public sealed record UploadedFile(string Name, string Status, string? Sha256, string? Label, string? Reason, double? ModelProbability, bool LabelDisputed);

/// <summary>The answer of <c>POST /upload</c>.</summary>
/// <param name="Status">"ok" when at least one image was added or already known.</param>
/// <param name="BatchId">The upload batch, kept for ever.</param>
/// <param name="Accepted">Images added now.</param>
/// <param name="Duplicates">Images already in the dataset (or twice in this request).</param>
/// <param name="TrainingUse">"used", or "held_for_review" when the label screen keeps the batch out of training until POST /dataset/batches/{batch_id}/confirm.</param>
public sealed record UploadResponse(
    string Status,
    string BatchId,
    int Accepted,
    int Duplicates,
    IReadOnlyList<RejectedFile> Rejected,
    int AcceptedNormal,
    int AcceptedPneumonia,
    int AcceptedUnlabelled,
    IReadOnlyList<UploadedFile> Files,
    string TrainingUse,
    LabelScreenDto? LabelScreen);
