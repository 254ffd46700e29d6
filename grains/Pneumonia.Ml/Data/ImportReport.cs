using Pneumonia.Ml.Images;

namespace Pneumonia.Ml.Data;

/// <summary>What a <see cref="KaggleDatasetImporter"/> run did.</summary>
/// <param name="Accepted">Images added to the catalogue.</param>
/// <param name="Duplicates">Files byte-identical to an image already in the catalogue (including one added earlier in the same run).</param>
/// <param name="Rejected">Files not imported, with the reason.</param>
/// <param name="AcceptedCounts">Accepted images per split and label.</param>
/// <param name="Elapsed">Wall-clock time of the run.</param>
public sealed record ImportReport(
    int Accepted,
    IReadOnlyList<ImportDuplicate> Duplicates,
    IReadOnlyList<ImportRejection> Rejected,
    IReadOnlyDictionary<SplitLabel, int> AcceptedCounts,
    TimeSpan Elapsed);

/// <summary>A file skipped because the catalogue already holds the same bytes.</summary>
/// <param name="Name">The file's path inside the imported folder or archive.</param>
/// <param name="Sha256">The hash it shares with the catalogued image.</param>
public sealed record ImportDuplicate(string Name, string Sha256);

/// <summary>A file that was not imported.</summary>
/// <param name="Name">The file's path inside the imported folder or archive (display only).</param>
/// <param name="Reason">Why, for a person to read.</param>
/// <param name="ImageReason">Set when the file was read but the decoder refused it.</param>
public sealed record ImportRejection(string Name, string Reason, InvalidImageReason? ImageReason = null);
