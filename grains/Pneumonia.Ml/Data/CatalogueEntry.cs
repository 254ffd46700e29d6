namespace Pneumonia.Ml.Data;

/// <summary>One distinct image (by content hash) in an <see cref="ImageCatalogue"/>.</summary>
/// <param name="Sha256">Lower-case hex SHA-256 of the file: its name in the <see cref="ContentAddressedImageStore"/>.</param>
/// <param name="Label">The diagnosis, or null for an unlabelled upload.</param>
/// <param name="Split">Which part of the data set the image belongs to.</param>
/// <param name="Source">Where it came from: <c>kermany</c>, an upload batch id, ...</param>
/// <param name="OriginalName">The name it arrived under; for display only, never used as a path.</param>
/// <param name="SizeBytes">Length of the file.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="PatientId">The patient, so that splits can keep each patient's images together.</param>
/// <param name="AddedAt">When the image entered the catalogue.</param>
public sealed record CatalogueEntry(
    string Sha256,
    XrayLabel? Label,
    DatasetSplit Split,
    string Source,
    string OriginalName,
    long SizeBytes,
    int Width,
    int Height,
    string PatientId,
    DateTimeOffset AddedAt);
