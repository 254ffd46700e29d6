using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Pneumonia.Grains.Models;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Grains.Tests;

[Collection(GrainsClusterDefinition.Name)]
public sealed class TrainingTests(GrainsClusterFixture fixture)
{
    private static readonly TimeSpan TrainingTimeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Retrain_reports_progress_registers_a_new_version_and_promotes_it_through_the_gate()
    {
        var cluster = fixture.Cluster;
        await cluster.AddTrainingBatchAsync(skip: 100, test: 4);
        var registry = cluster.Registry();
        var parent = (await registry.GetProductionAsync())!.Version;

        var start = await cluster.Coordinator().StartAsync(new RetrainRequest(Epochs: 2, BatchSize: 8, FineTune: false));
        Assert.Equal(StartRetrainOutcome.Started, start.Outcome);
        var seen = await cluster.WaitForJobAsync(start.JobId!, TrainingTimeout);

        var job = seen[^1];
        Assert.Equal(TrainingJobStatus.Completed, job.Status);
        Assert.Contains(seen, s => s.Status == TrainingJobStatus.Running && s.Phase == "training" && s.Epoch >= 1 && s.BatchesPerEpoch > 0);
        Assert.Contains(seen, s => s.Progress is > 0 and < 100);
        Assert.Equal((parent, true, 100.0, "done"), (job.ParentVersion, job.Promoted, job.Progress, job.Phase));
        Assert.Contains("passes the gate", job.PromotionReason, StringComparison.Ordinal);
        Assert.NotEmpty(job.History);
        Assert.NotNull(job.FinishedAt);

        var version = (await registry.ListAsync()).Single(v => v.Version == job.ResultVersion);
        Assert.Equal(parent, version.ParentVersion);
        // The job read the training listing page by page (the test cluster's pages hold 7 images): it trained on all of it,
        // less the training images of patients with test images (TrainingSplits' rule).
        var listed = await cluster.Dataset().ReadTrainingImagesAsync();
        var testPatients = listed.Where(i => i.Split == ImageSplit.Test).Select(i => i.PatientId).ToHashSet();
        var used = ModelPackage.ReadCard(cluster.Services().GetRequiredService<ModelStore>().PathOf(version.Directory)).Dataset;
        Assert.True(listed.Count > 3 * PneumoniaTestCluster.PageSize, $"only {listed.Count} images");
        Assert.Equal(
            listed.Count(i => i.Split == ImageSplit.Test || !testPatients.Contains(i.PatientId)),
            used.TrainNormal + used.TrainPneumonia + used.ValidationNormal + used.ValidationPneumonia + used.TestNormal + used.TestPneumonia);
        Assert.NotNull(version.Test);
        // The parent chose its epoch, calibration and threshold on perturbed validation views; the retrain keeps that.
        var card = version.Card;
        Assert.True(card.Training.PerturbedValidation);
        Assert.Contains("under 12 perturbations pooled", card.ThresholdRule, StringComparison.Ordinal);
        // By default the views fit calibration and threshold only; the epoch is chosen on clean validation.
        Assert.All(card.History, h => Assert.Null(h.PerturbedValidationAuc));
        Assert.Equal(job.ResultVersion, (await registry.GetProductionAsync())!.Version);
        var decision = (await registry.GetHistoryAsync())[0];
        Assert.Equal((job.ResultVersion, true, parent, false), (decision.Version, decision.Promoted, decision.PreviousVersion, decision.Forced));
        Assert.Equal(job.JobId, (await cluster.Coordinator().GetLatestAsync())!.JobId);
    }

    [Fact]
    public async Task Cancel_stops_a_running_job_within_seconds_and_leaves_production_untouched()
    {
        var cluster = fixture.Cluster;
        // 40 images per label at batch size 2: an epoch lasts long enough that the job cannot end before it is cancelled.
        await cluster.AddTrainingBatchAsync(skip: 300, train: 40, test: 0);
        var registry = cluster.Registry();
        var production = (await registry.GetProductionAsync())!.Version;
        var versions = (await registry.ListAsync()).Count;
        var start = await cluster.Coordinator().StartAsync(new RetrainRequest(Epochs: 50, BatchSize: 2, FineTune: false));
        Assert.Equal(StartRetrainOutcome.Started, start.Outcome);
        await cluster.WaitForJobAsync(start.JobId!, TrainingTimeout, info => info.Phase == "training" || info.IsFinished);

        var clock = Stopwatch.StartNew();
        Assert.True(await cluster.Coordinator().CancelRunningAsync());
        var job = (await cluster.WaitForJobAsync(start.JobId!, TimeSpan.FromSeconds(15)))[^1];
        clock.Stop();

        Assert.Equal(TrainingJobStatus.Cancelled, job.Status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"cancelling took {clock.Elapsed}");
        Assert.Null(job.ResultVersion);
        Assert.Equal(production, (await registry.GetProductionAsync())!.Version);
        Assert.Equal(versions, (await registry.ListAsync()).Count);
        Assert.False(await cluster.Coordinator().CancelRunningAsync());
    }

    [Fact]
    public async Task Of_8_concurrent_starts_exactly_one_starts_a_job()
    {
        var cluster = fixture.Cluster;
        await cluster.AddTrainingBatchAsync(skip: 400, train: 40, test: 0);
        var request = new RetrainRequest(Epochs: 50, BatchSize: 2, FineTune: false);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => cluster.Coordinator().StartAsync(request))));

        var started = Assert.Single(results, r => r.Outcome == StartRetrainOutcome.Started);
        Assert.All(results.Where(r => r != started), r => Assert.Equal((StartRetrainOutcome.AlreadyRunning, started.JobId), (r.Outcome, r.JobId)));
        Assert.True(await cluster.Coordinator().CancelRunningAsync());
        Assert.True((await cluster.WaitForJobAsync(started.JobId!, TimeSpan.FromSeconds(30)))[^1].IsFinished);
    }

    [Fact]
    public async Task A_request_outside_the_limits_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => fixture.Cluster.Coordinator().StartAsync(new RetrainRequest(0, 8, false)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => fixture.Cluster.Coordinator().StartAsync(new RetrainRequest(1, 257, false)));
    }
}
