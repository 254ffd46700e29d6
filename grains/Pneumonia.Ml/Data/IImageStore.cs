namespace Pneumonia.Ml.Data;

/// <summary>
/// Where labelled X-ray bytes live, named by the SHA-256 of their bytes: what grains, the API and training need of
/// an image store. <see cref="ContentAddressedImageStore"/> keeps them in a directory (shared by every silo of a
/// cluster); <c>AzureBlobImageStore</c> (Pneumonia.Grains) keeps them in Azure Blob Storage for clusters without a shared
/// disk, without its callers knowing. Implementations
/// store identical bytes once, never change a stored image and never expose a partly written one.
/// </summary>
public interface IImageStore
{
    /// <summary>Stores <paramref name="bytes"/> under their SHA-256 unless already present; atomic.</summary>
    Task<StoredImage> PutAsync(byte[] bytes, CancellationToken cancellationToken);

    /// <summary>Whether the store holds the image with this hash.</summary>
    bool Contains(string sha256);

    /// <summary>Reads the image with this hash.</summary>
    /// <exception cref="FileNotFoundException">The store does not hold it.</exception>
    Task<byte[]> ReadAsync(string sha256, CancellationToken cancellationToken = default);

    /// <summary>Reads the image with this hash on the calling thread (training loads thousands on a worker thread).</summary>
    /// <exception cref="FileNotFoundException">The store does not hold it.</exception>
    byte[] Read(string sha256);
}
