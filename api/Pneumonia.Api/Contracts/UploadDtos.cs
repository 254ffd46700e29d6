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
/// <param name="OutOfDistribution">
/// Stored images the production model's out-of-distribution check flagged (empty when none); null when the check
/// could not run (no production model, or one without the check).
/// </param>
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
    LabelScreenDto? LabelScreen,
    IReadOnlyList<OutOfDistributionFile>? OutOfDistribution = null);

/// <summary>
/// An image of an upload that was added (or already known) but does not look like the chest X-rays the production
/// model was trained on (a photo, a document, a blank or noise image): flagged for a person to look at, not refused.
/// </summary>
/// <param name="Score">Its distance from the training X-rays in the model's feature space (about 1 typical).</param>
/// <param name="Threshold">The production model's threshold on <paramref name="Score"/>.</param>
public sealed record OutOfDistributionFile(string Name, string Sha256, double Score, double Threshold);
