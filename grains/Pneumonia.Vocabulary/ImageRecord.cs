namespace Pneumonia;

/// <summary>
/// One distinct image (by content hash) in a catalogue: the server's dataset grains and the offline
/// <c>catalogue.jsonl</c> of the command line keep the same record. The bytes live in the content-addressed image
/// store under <see cref="Sha256"/>.
/// </summary>
/// <remarks>
/// Stored as grain state (through the Orleans surrogate in Pneumonia.Abstractions, whose field ids follow the order
/// of these parameters) and as JSON lines (camelCase names): never reorder, rename or remove a parameter; add new ones
/// at the end with a default.
/// </remarks>
/// <param name="Sha256">Lower-case hex SHA-256 of the file: its name in the image store.</param>
/// <param name="Label">The diagnosis, or null for an unlabelled upload (kept, never trained on).</param>
/// <param name="Split">Which part of the data set the image belongs to.</param>
/// <param name="Source">Where it came from: <c>kermany</c> for the base data set, otherwise the upload batch id.</param>
/// <param name="OriginalName">The client's file name, for display only: never used as a path.</param>
/// <param name="SizeBytes">Length of the file.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="PatientId">The patient, so that splits can keep each patient's images together.</param>
/// <param name="AddedAt">When the image entered the catalogue.</param>
public sealed record ImageRecord(
    string Sha256,
    ImageLabel? Label,
    ImageSplit Split,
    string Source,
    string OriginalName,
    long SizeBytes,
    int Width,
    int Height,
    string PatientId,
    DateTimeOffset AddedAt);
