using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Pneumonia.Grains.Models;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Grains.Storage;

/// <summary>
/// Model versions in an Azure Blob Storage container (<c>models/&lt;version&gt;/model.json</c> and its weights file),
/// with a local <see cref="ModelStore"/> as read-through cache, because TorchSharp reads and writes files: a version
/// is built in a local staging directory, <see cref="Publish"/> uploads it (streamed from the files; the weights first,
/// model.json last, so a version whose card exists is complete) and moves it into the cache; <see cref="PathOf"/>
/// downloads a version the cache lacks (streamed to files) into staging and renames it into place, so a predictor
/// silo downloads each version once. Every upload is conditional on the blob being absent: a retried or concurrent
/// publish of the same version keeps the first copy, and a published version never changes.
/// </summary>
public sealed class AzureBlobModelStore(BlobContainerClient container, ModelStore cache) : IModelStore
{
    public string PathOf(string relativeDirectory)
    {
        var path = cache.PathOf(relativeDirectory);
        if (Directory.Exists(path))
        {
            return path;
        }

        var staging = cache.NewStagingDirectory("download");
        try
        {
            var card = container.GetBlobClient(BlobName(relativeDirectory, ModelPackage.CardFileName));
            card.DownloadTo(Path.Combine(staging, ModelPackage.CardFileName));
            var weights = ModelPackage.ReadCard(staging).Weights.FileName;
            container.GetBlobClient(BlobName(relativeDirectory, weights)).DownloadTo(Path.Combine(staging, Path.GetFileName(weights)));
            cache.Publish(staging, relativeDirectory);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Not published (yet): the caller finds no directory, as with the directory store.
            Directory.Delete(staging, recursive: true);
        }

        return path;
    }

    public string NewStagingDirectory(string purpose) => cache.NewStagingDirectory(purpose);

    public string Publish(string stagingDirectory, string version)
    {
        cache.PathOf(version); // checks the name before anything is uploaded
        var files = Directory.GetFiles(stagingDirectory).Select(Path.GetFileName).OfType<string>()
            .OrderBy(name => name == ModelPackage.CardFileName) // the card last: it marks the version complete
            .ToList();
        foreach (var file in files)
        {
            try
            {
                container.GetBlobClient(BlobName(version, file))
                    .Upload(Path.Combine(stagingDirectory, file), new BlobUploadOptions { Conditions = AzureBlobImageStore.AbsentOnly });
            }
            catch (RequestFailedException ex) when (AzureBlobImageStore.IsAlreadyThere(ex))
            {
                // Published before (a retry, or another silo with the same version): the first copy stays.
            }
        }

        return cache.Publish(stagingDirectory, version);
    }

    public (ModelCard Card, string Directory) Import(string sourceDirectory)
    {
        var card = ModelPackage.ReadCard(sourceDirectory);
        if (container.GetBlobClient(BlobName(card.Version, ModelPackage.CardFileName)).Exists().Value)
        {
            return (card, card.Version);
        }

        return (card, Publish(ModelStore.CopyToStaging(this, sourceDirectory, card), card.Version));
    }

    private static string BlobName(string version, string file) => $"models/{version}/{Path.GetFileName(file)}";
}
