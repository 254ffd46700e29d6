using Microsoft.Extensions.DependencyInjection;
using Pneumonia.Grains.Models;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Grains.Tests;

[Collection(GrainsClusterDefinition.Name)]
public sealed class TrainingTests(GrainsClusterFixture fixture)
{
    [Fact]
    public async Task Retrain_registers_a_new_version_and_promotes_it_through_the_gate()
    {
        var cluster = fixture.Cluster;
        await cluster.AddTrainingBatchAsync(skip: 100, test: 4);
        var registry = cluster.Registry();
        var parent = (await registry.GetProductionAsync())!.Version;

        var start = await cluster.Coordinator().StartAsync(new RetrainRequest(Epochs: 2, BatchSize: 8, FineTune: false));
        Assert.Equal(StartRetrainOutcome.Started, start.Outcome);
        var job = (await cluster.WaitForJobAsync(start.JobId!))[^1];

        Assert.Equal(TrainingJobStatus.Completed, job.Status);
        // Progress is watched on a job that lasts (the cancel test); here, its record: both epochs ran (patience 3).
        Assert.Equal([1, 2], job.History.Select(h => h.Epoch));
        Assert.Equal((parent, true, 100.0, "done"), (job.ParentVersion, job.Promoted, job.Progress, job.Phase));
        Assert.Contains("passes the gate", job.PromotionReason, StringComparison.Ordinal);
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
    public async Task A_running_job_reports_progress_and_cancel_stops_it_leaving_production_untouched()
    {
        var cluster = fixture.Cluster;
        // 40 images per label at batch size 2: an epoch lasts long enough that the job cannot end before it is cancelled.
        await cluster.AddTrainingBatchAsync(skip: 300, train: 40, test: 0);
        var registry = cluster.Registry();
        var production = (await registry.GetProductionAsync())!.Version;
        var versions = (await registry.ListAsync()).Count;
        var start = await cluster.Coordinator().StartAsync(new RetrainRequest(Epochs: 50, BatchSize: 2, FineTune: false));
        Assert.Equal(StartRetrainOutcome.Started, start.Outcome);
        // 50 epochs of 40 batches: the job is still training whenever it is read, until it is cancelled.
        var running = (await cluster.WaitForJobAsync(start.JobId!, info => info.IsFinished || (info.Phase == "training" && info.Progress > 0)))[^1];
        Assert.Equal((TrainingJobStatus.Running, production), (running.Status, running.ParentVersion));
        Assert.True(running is { Epoch: >= 1, BatchesPerEpoch: > 0, Progress: > 0 and < 100 }, $"{running}");

        Assert.True(await cluster.Coordinator().CancelRunningAsync());
        var job = (await cluster.WaitForJobAsync(start.JobId!))[^1];

        Assert.Equal(TrainingJobStatus.Cancelled, job.Status);
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
        Assert.True((await cluster.WaitForJobAsync(started.JobId!))[^1].IsFinished);
    }

    [Fact]
    public async Task A_request_outside_the_limits_is_refused_naming_every_value_and_its_range()
    {
        var epochs = await fixture.Cluster.Coordinator().StartAsync(new RetrainRequest(0, 8, false));
        Assert.Equal((StartRetrainOutcome.InvalidRequest, null), (epochs.Outcome, epochs.JobId));
        Assert.Equal([new RetrainValueOutOfRange(nameof(RetrainRequest.Epochs), 0, 1, 50)], epochs.OutOfRange!);

        var both = await fixture.Cluster.Coordinator().StartAsync(new RetrainRequest(51, 257, false));
        Assert.Equal(
            [new RetrainValueOutOfRange(nameof(RetrainRequest.Epochs), 51, 1, 50), new RetrainValueOutOfRange(nameof(RetrainRequest.BatchSize), 257, 1, 256)],
            both.OutOfRange!);
        Assert.Equal("Epochs must be between 1 and 50; got 51. BatchSize must be between 1 and 256; got 257.", both.Reason);
    }
}
