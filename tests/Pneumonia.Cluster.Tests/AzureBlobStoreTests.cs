using Azure.Storage.Blobs;
using Pneumonia.Grains.Storage;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// The image and model stores on Azure Blob Storage (against Azurite), as machines without a shared disk use them:
/// each "machine" is a store with its own local cache directory over one container.
/// </summary>
public sealed class AzureBlobStoreTests : IAsyncLifetime
{
    public TempDirectory Root { get; } = new();
    private Azurite? _azurite;
    private BlobContainerClient _container = null!;

    public async Task InitializeAsync()
    {
        _azurite = await Azurite.StartAsync();
        _container = new BlobContainerClient(_azurite.ConnectionString, "pneumonia");
        await _container.CreateIfNotExistsAsync();
    }

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }

        Root.Dispose();
    }

    [Fact]
    public async Task Images_written_concurrently_by_several_machines_are_one_blob_read_through_each_local_cache()
    {
        var bytes = File.ReadAllBytes(TestData.Images("test", "NORMAL", 1)[0]);
        var writers = Enumerable.Range(0, 4).Select(i => ImageStore($"writer-{i}")).ToList();

        var results = await Task.WhenAll(writers.Select(store => Task.Run(() => store.PutAsync(bytes, CancellationToken.None))));

        var hash = Assert.Single(results.Select(r => r.Sha256).Distinct());
        Assert.Equal(1, results.Count(r => r.NewlyStored));
        Assert.Single(_container.GetBlobs().Select(blob => blob.Name), $"images/{hash[..2]}/{hash}");

        // Another machine: not in its cache yet, read from the container once, then from its cache.
        var reader = ImageStore("reader");
        var cache = new ContentAddressedImageStore(Root.Combine("reader", "images"));
        Assert.False(cache.Contains(hash));
        Assert.True(reader.Contains(hash));
        Assert.Equal(bytes, await reader.ReadAsync(hash));
        Assert.True(cache.Contains(hash));
        Assert.Equal(bytes, reader.Read(hash));

        var missing = ContentAddressedImageStore.HashOf([1, 2, 3]);
        Assert.False(reader.Contains(missing));
        await Assert.ThrowsAsync<FileNotFoundException>(() => reader.ReadAsync(missing));
        Assert.Throws<FileNotFoundException>(() => reader.Read(missing));
    }

    [Fact]
    public void A_model_version_published_on_one_machine_is_downloaded_complete_on_another_and_never_changes()
    {
        // The repository's bundled model (11 MB of weights): a real version, no training needed.
        var trained = Path.Combine(TestData.RepositoryRoot, "models", "bundled");
        var card = ModelPackage.ReadCard(trained);
        var trainer = ModelStore("trainer");

        var (imported, version) = trainer.Import(trained);
        Assert.Equal(card.Version, imported.Version);
        // A second publish of the same version (a retried job, another silo) keeps the first copy.
        Assert.Equal(version, trainer.Import(trained).Directory);
        var staging = trainer.NewStagingDirectory("retry");
        File.WriteAllText(Path.Combine(staging, ModelPackage.CardFileName), "{}");
        trainer.Publish(staging, version);

        var predictor = ModelStore("predictor");
        var local = predictor.PathOf(version);
        Assert.StartsWith(Root.Combine("predictor"), local, StringComparison.Ordinal);
        Assert.Equal(card.Version, ModelPackage.ReadCard(local).Version);
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(trained, card.Weights.FileName)),
            File.ReadAllBytes(Path.Combine(local, card.Weights.FileName)));
        Assert.False(Directory.Exists(predictor.PathOf("not-published")));
    }

    private AzureBlobImageStore ImageStore(string machine) =>
        new(_container, new ContentAddressedImageStore(Root.Combine(machine, "images")));

    private AzureBlobModelStore ModelStore(string machine) =>
        new(_container, new Grains.Models.ModelStore(Root.Combine(machine, "models")));
}
