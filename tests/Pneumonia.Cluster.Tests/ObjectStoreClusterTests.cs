using System.Net;
using Azure.Storage.Blobs;
using Pneumonia.Grains.Placement;
using Xunit.Abstractions;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// A cluster whose machines share no disk: a trainer, a predictor and a front end, each with its own data directory,
/// images and model versions in Azure Blob Storage (Azurite) selected by configuration. Upload through the front end,
/// retrain on the trainer, promotion, the predictor serving the new version: all through the container.
/// </summary>
[Collection(OwnSilosDefinition.Name)]
public sealed class ObjectStoreClusterTests(OwnSilosFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Upload_retrain_promote_and_predict_through_the_object_store_without_a_shared_directory()
    {
        using var root = new TempDirectory();
        await using var azurite = await Azurite.StartAsync();
        var parts = new ClusterParts(fixture.Redis, root, fixture.BundledDirectory, azurite.ConnectionString);
        var trainer = await parts.StartSiloAsync("trainer", SiloRoles.Trainer, gateway: false);
        var predictor = await parts.StartSiloAsync("predictor", SiloRoles.Predictor, gateway: true);
        try
        {
            await using var frontEnd = await parts.StartFrontEndAsync();
            using var client = frontEnd.CreateAuthorizedClient();

            var entries = TestData.Images("train", "NORMAL", 20).Select(path => ("set/NORMAL/" + Path.GetFileName(path), path))
                .Concat(TestData.Images("train", "PNEUMONIA", 20).Select(path => ("set/PNEUMONIA/" + Path.GetFileName(path), path)));
            using (var upload = await client.PostAsync("/upload", ClusterTests.ImageForm("files", ("training.zip", ClusterTests.Zip(entries)))))
            {
                Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
                Assert.Equal(40, (await ClusterTests.JsonAsync(upload)).GetProperty("accepted").GetInt32());
            }

            using var started = await client.PostAsync("/retrain?epochs=1&batch_size=8&fine_tune=false", null);
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            var job = await Jobs.WaitForEndAsync(client, (await ClusterTests.JsonAsync(started)).GetProperty("job_id").GetString()!);
            Assert.Equal("completed", job.GetProperty("status").GetString());
            Assert.True(job.GetProperty("promoted").GetBoolean(), job.GetProperty("promotion_reason").GetString());
            var version = job.GetProperty("result_version").GetString()!;

            await Wait.UntilAsync(() => predictor.Model.Version == version, TimeSpan.FromSeconds(15), "the predictor to serve the new version");
            var image = File.ReadAllBytes(TestData.Images("test", "NORMAL", 1)[0]);
            using var prediction = await client.PostAsync("/predict", ClusterTests.ImageForm("file", ("x.jpeg", image)));
            Assert.Equal(HttpStatusCode.OK, prediction.StatusCode);
            Assert.Equal(version, (await ClusterTests.JsonAsync(prediction)).GetProperty("model_version").GetString());

            // Everything went through the container: the images the front end stored, the version the trainer published;
            // the predictor's directory holds only the versions it downloaded, the front end's no model at all.
            var blobs = new BlobContainerClient(azurite.ConnectionString, parts.ServiceId).GetBlobs().Select(blob => blob.Name).ToList();
            output.WriteLine($"{blobs.Count} blobs: {blobs.Count(n => n.StartsWith("images/", StringComparison.Ordinal))} images, models {string.Join(", ", blobs.Where(n => n.StartsWith("models/", StringComparison.Ordinal)))}");
            Assert.Equal(40, blobs.Count(name => name.StartsWith("images/", StringComparison.Ordinal)));
            Assert.Contains($"models/{version}/model.json", blobs);
            Assert.True(Directory.Exists(Path.Combine(parts.DataDirectoryOf("predictor"), "models", version)));
            Assert.False(Directory.Exists(Path.Combine(parts.DataDirectoryOf("front-end"), "models")));
        }
        finally
        {
            await predictor.StopAsync();
            await trainer.StopAsync();
        }
    }
}
