using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Pneumonia.Ml.Data;

namespace Pneumonia.Grains.Storage;

/// <summary>
/// The image store in an Azure Blob Storage container, for clusters without a shared disk: an image is the blob
/// <c>images/ab/abcdef…</c> named by the SHA-256 of its bytes, written only if absent (so identical uploads through
/// several front ends end in one blob, and a stored blob never changes), and visible only once complete (a blob
/// upload commits at once). Reads go through a local <see cref="ContentAddressedImageStore"/> cache, filled on the
/// first read after the bytes were checked against their name: a trainer reads each image from the container once.
/// </summary>
public sealed class AzureBlobImageStore(BlobContainerClient container, ContentAddressedImageStore cache) : IImageStore
{
    /// <summary>Stores the bytes under their hash unless the container has them already.</summary>
    public async Task<StoredImage> PutAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var hash = ContentAddressedImageStore.HashOf(bytes);
        var blob = container.GetBlobClient(BlobName(hash));
        try
        {
            await blob.UploadAsync(BinaryData.FromBytes(bytes), new BlobUploadOptions { Conditions = AbsentOnly }, cancellationToken);
            return new StoredImage(hash, bytes.Length, NewlyStored: true);
        }
        catch (RequestFailedException ex) when (IsAlreadyThere(ex))
        {
            return new StoredImage(hash, bytes.Length, NewlyStored: false);
        }
    }

    public bool Contains(string sha256) => cache.Contains(sha256) || container.GetBlobClient(BlobName(sha256)).Exists().Value;

    public async Task<byte[]> ReadAsync(string sha256, CancellationToken cancellationToken = default)
    {
        if (cache.Contains(sha256))
        {
            return await cache.ReadAsync(sha256, cancellationToken);
        }

        try
        {
            var content = await container.GetBlobClient(BlobName(sha256)).DownloadContentAsync(cancellationToken);
            return await CacheAsync(sha256, content.Value.Content.ToArray(), cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new FileNotFoundException($"The image store holds no image {sha256}.", sha256, ex);
        }
    }

    public byte[] Read(string sha256)
    {
        if (cache.Contains(sha256))
        {
            return cache.Read(sha256);
        }

        try
        {
            var content = container.GetBlobClient(BlobName(sha256)).DownloadContent();
            return CacheAsync(sha256, content.Value.Content.ToArray(), CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            throw new FileNotFoundException($"The image store holds no image {sha256}.", sha256, ex);
        }
    }

    /// <summary>Only if no blob of that name exists: what makes a write idempotent and a stored blob immutable.</summary>
    internal static BlobRequestConditions AbsentOnly => new() { IfNoneMatch = ETag.All };

    /// <summary>The answer to a conditional write whose blob exists already (409 BlobAlreadyExists, or 412).</summary>
    internal static bool IsAlreadyThere(RequestFailedException exception) => exception.Status is 409 or 412;

    private static string BlobName(string sha256) => $"images/{sha256[..2]}/{sha256}";

    // The cache names the bytes by their own hash: a blob whose bytes do not match its name is refused, not cached.
    private async Task<byte[]> CacheAsync(string sha256, byte[] bytes, CancellationToken cancellationToken)
    {
        var stored = await cache.PutAsync(bytes, cancellationToken);
        if (stored.Sha256 != sha256)
        {
            throw new InvalidDataException($"The blob of image {sha256} holds bytes whose SHA-256 is {stored.Sha256}.");
        }

        return bytes;
    }
}
