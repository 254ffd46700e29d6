using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Placement;
using Pneumonia.Ml.Data;
using Xunit.Abstractions;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// Roles started in any order, each on its own: a trainer without predictors trains, a predictor without a trainer
/// starts and serves (even when the cluster has jobs, which only a trainer can host), work that needs the missing
/// role answers 503 naming it, and the job list says which silo ran each job.
/// </summary>
[Collection(OwnSilosDefinition.Name)]
public sealed class StartOrderTests(OwnSilosFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_predictor_starts_and_serves_without_a_trainer_and_jobs_wait_for_one()
    {
        using var root = new TempDirectory();
        var parts = new ClusterParts(fixture.Redis, root, fixture.BundledDirectory);

        // A trainer alone: it registers the bundled model and runs a job, with no predictor in the cluster.
        var trainer = await parts.StartSiloAsync("trainer", SiloRoles.Trainer, gateway: false);
        var trainerAddress = trainer.Address.ToParsableString();
        await AddTrainingImagesAsync(trainer.Grains, new ContentAddressedImageStore(Path.Combine(parts.DataDirectory, "images")));
        var coordinator = trainer.Grains.GetGrain<ITrainingCoordinatorGrain>(WellKnownKeys.Default);
        var started = await coordinator.StartAsync(new RetrainRequest(Epochs: 1, BatchSize: 8, FineTune: false));
        Assert.Equal(StartRetrainOutcome.Started, started.Outcome);
        await Wait.UntilAsync(async () => (await coordinator.GetLatestAsync()) is { IsFinished: true }, TimeSpan.FromSeconds(120), "the job to end");
        await trainer.StopAsync();

        // A predictor alone in a cluster that has a job: it starts, loads the model and serves through a front end.
        var predictor = await parts.StartSiloAsync("predictor", SiloRoles.Predictor, gateway: true);
        await using var frontEnd = await parts.StartFrontEndAsync();
        using var client = frontEnd.CreateClient();
        using (var prediction = await client.PostAsync("/predict", ImageForm()))
        {
            Assert.Equal(HttpStatusCode.OK, prediction.StatusCode);
        }

        // Jobs need a trainer: a clear 503 until one is back.
        using (var jobs = await client.GetAsync("/jobs"))
        {
            var body = await jobs.Content.ReadAsStringAsync();
            output.WriteLine($"/jobs without a trainer: {(int)jobs.StatusCode} {body}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, jobs.StatusCode);
            Assert.Contains("No trainer silo is running", body, StringComparison.Ordinal);
        }

        // A trainer joins: the job list is served again and names the silo that ran the job.
        var secondTrainer = await parts.StartSiloAsync("trainer-2", SiloRoles.Trainer, gateway: false);
        var list = await client.GetFromJsonAsync<JsonElement>("/jobs");
        var job = Assert.Single(list.GetProperty("jobs").EnumerateArray());
        Assert.Equal(started.JobId, job.GetProperty("job_id").GetString());
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.Equal(trainerAddress, job.GetProperty("silo").GetString());

        await secondTrainer.StopAsync();
        await predictor.StopAsync();
    }

    [Fact]
    public async Task A_front_end_started_before_any_silo_answers_503_and_serves_once_a_predictor_joins()
    {
        using var root = new TempDirectory();
        var parts = new ClusterParts(fixture.Redis, root, fixture.BundledDirectory);
        await using var frontEnd = parts.CreateFrontEnd();
        using var client = frontEnd.CreateClient();

        using (var health = await client.GetAsync("/health"))
        {
            var body = await health.Content.ReadAsStringAsync();
            output.WriteLine($"/health with no silo: {(int)health.StatusCode} {body}");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Contains("has not reached the grain cluster yet", body, StringComparison.Ordinal);
        }

        var predictor = await parts.StartSiloAsync("predictor", SiloRoles.Predictor, gateway: true);
        var trainer = await parts.StartSiloAsync("trainer", SiloRoles.Trainer, gateway: false);
        try
        {
            await Wait.UntilHealthyAsync(client, "the front end to reach the cluster");
            using var prediction = await client.PostAsync("/predict", ImageForm());
            Assert.Equal(HttpStatusCode.OK, prediction.StatusCode);
        }
        finally
        {
            await trainer.StopAsync();
            await predictor.StopAsync();
        }
    }

    private static async Task AddTrainingImagesAsync(IGrainFactory grains, ContentAddressedImageStore store)
    {
        var candidates = new List<ImageRecord>();
        foreach (var (folder, split, skip, count) in new[] { ("train", ImageSplit.Train, 0, 8), ("train", ImageSplit.Validation, 8, 4), ("test", ImageSplit.Test, 0, 2) })
        {
            foreach (var (labelFolder, label) in new[] { ("NORMAL", ImageLabel.Normal), ("PNEUMONIA", ImageLabel.Pneumonia) })
            {
                foreach (var file in TestData.Images(folder, labelFolder, skip + count).Skip(skip))
                {
                    var stored = await store.PutAsync(await File.ReadAllBytesAsync(file), CancellationToken.None);
                    var name = Path.GetFileName(file);
                    candidates.Add(new ImageRecord(stored.Sha256, label, split, "start-order", name, stored.SizeBytes, 0, 0, PatientId.FromFileName(name), DateTimeOffset.UtcNow));
                }
            }
        }

        await grains.GetGrain<IDatasetGrain>(WellKnownKeys.Default).AddBatchAsync("start-order", "start-order", candidates, [], screen: null);
    }

    private static MultipartFormDataContent ImageForm()
    {
        var content = new ByteArrayContent(File.ReadAllBytes(TestData.Images("test", "NORMAL", 1)[0]));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("image/jpeg");
        return new MultipartFormDataContent { { content, "file", "x.jpeg" } };
    }
}
