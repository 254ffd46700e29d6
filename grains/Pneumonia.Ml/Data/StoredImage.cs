namespace Pneumonia.Ml.Data;

/// <summary>The result of <see cref="ContentAddressedImageStore.PutAsync"/>.</summary>
/// <param name="Sha256">Lower-case hex SHA-256 of the bytes: the image's name in the store.</param>
/// <param name="SizeBytes">Length of the file.</param>
/// <param name="NewlyStored">False when the store already held these exact bytes and nothing was written.</param>
public sealed record StoredImage(string Sha256, long SizeBytes, bool NewlyStored);
