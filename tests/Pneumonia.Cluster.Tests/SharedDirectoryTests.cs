using Pneumonia.Grains.Models;
using Pneumonia.Ml.Data;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// Silos and front ends write the same shared data directory at the same time: identical images and the same model
/// version written concurrently by separate stores (as separate processes would) end as one complete copy.
/// </summary>
public sealed class SharedDirectoryTests
{
    [Fact]
    public async Task Concurrent_writers_of_the_same_image_leave_one_complete_file()
    {
        using var shared = new TempDirectory();
        var bytes = File.ReadAllBytes(TestData.Images("test", "NORMAL", 1)[0]);
        var stores = Enumerable.Range(0, 8).Select(_ => new ContentAddressedImageStore(shared.Combine("images"))).ToList();

        var results = await Task.WhenAll(stores.Select(store => Task.Run(() => store.PutAsync(bytes, CancellationToken.None))));

        Assert.Single(results.Select(r => r.Sha256).Distinct());
        Assert.Equal(bytes, File.ReadAllBytes(stores[0].PathOf(results[0].Sha256)));
        Assert.Single(Directory.GetFiles(shared.Combine("images"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Concurrent_publishers_of_the_same_model_version_leave_one_complete_directory()
    {
        using var shared = new TempDirectory();
        var stores = Enumerable.Range(0, 4).Select(_ => new ModelStore(shared.Combine("models"))).ToList();
        var stagings = stores.Select(store =>
        {
            var staging = store.NewStagingDirectory("publish");
            File.WriteAllText(Path.Combine(staging, "model.json"), "{}");
            File.WriteAllBytes(Path.Combine(staging, "weights.bin"), new byte[1024]);
            return (store, staging);
        }).ToList();

        var published = await Task.WhenAll(stagings.Select(s => Task.Run(() => s.store.Publish(s.staging, "v1"))));

        Assert.All(published, version => Assert.Equal("v1", version));
        Assert.Equal(["model.json", "weights.bin"], Directory.GetFiles(stores[0].PathOf("v1")).Select(Path.GetFileName).Order());
        Assert.Empty(Directory.GetDirectories(shared.Combine("models", ".staging")));
    }
}
