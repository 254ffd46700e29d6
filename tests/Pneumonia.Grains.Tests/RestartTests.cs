namespace Pneumonia.Grains.Tests;

/// <summary>Clusters of their own, restarted on the same data directory; the gate here refuses every new model.</summary>
public sealed class RestartTests : IDisposable
{
    private readonly TempDirectory _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Dataset_versions_jobs_and_decisions_survive_a_restart_and_a_refused_model_stays_out_of_production()
    {
        var bundled = TinyModel.Create(_root.Combine("bundled"));
        DatasetStatistics statistics;
        TrainingJobInfo job;
        IReadOnlyList<ModelVersionInfo> versions;
        IReadOnlyList<PromotionDecision> history;
        await using (var first = await StartAsync())
        {
            var empty = await first.Coordinator().StartAsync(new RetrainRequest(1, 8, false));
            Assert.Equal(StartRetrainOutcome.NotEnoughData, empty.Outcome);
            Assert.Contains("needs at least 1 trainable labelled images of each class", empty.Reason, StringComparison.Ordinal);
            Assert.Contains("has 0 NORMAL and 0 PNEUMONIA", empty.Reason, StringComparison.Ordinal);

            await first.AddTrainingBatchAsync(skip: 0, test: 2);
            var start = await first.Coordinator().StartAsync(new RetrainRequest(1, 8, false));
            job = (await first.WaitForJobAsync(start.JobId!))[^1];
            Assert.True((TrainingJobStatus.Completed, false) == (job.Status, job.Promoted), $"{job.Status}: {job.Error}");
            Assert.Contains("not enough evidence", job.PromotionReason, StringComparison.Ordinal);
            Assert.Equal(GateVerdict.NotEnoughEvidence, job.Gate!.Verdict);
            Assert.Equal(bundled.Version, (await first.Registry().GetProductionAsync())!.Version);

            statistics = await first.Dataset().GetStatisticsAsync();
            versions = await first.Registry().ListAsync();
            history = await first.Registry().GetHistoryAsync();
            await first.StopAllSilosAsync();
        }

        await using var second = await StartAsync();
        var statisticsAfter = await second.Dataset().GetStatisticsAsync();
        Assert.Equal((statistics.TotalImages, statistics.TotalBytes), (statisticsAfter.TotalImages, statisticsAfter.TotalBytes));
        Assert.Equal(statistics.Counts, statisticsAfter.Counts);
        Assert.Equal(statistics.Batches, statisticsAfter.Batches);
        Assert.Equal(versions, await second.Registry().ListAsync());
        Assert.Equal(history, await second.Registry().GetHistoryAsync());
        Assert.Equal(bundled.Version, (await second.Registry().GetProductionAsync())!.Version);
        var jobAfter = Assert.Single(await second.Coordinator().ListAsync());
        Assert.Equal((job.JobId, job.Status, job.ResultVersion, job.PromotionReason), (jobAfter.JobId, jobAfter.Status, jobAfter.ResultVersion, jobAfter.PromotionReason));
        Assert.Equal(job.History, jobAfter.History);
        Assert.Equal(bundled.Version, second.ModelStatus().Version);

        var forced = await second.Registry().PromoteAsync(job.ResultVersion!, force: true, "operator override", gate: null);
        Assert.True(forced.Promoted && forced.Forced);
        Assert.Contains("forced past the gate", forced.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_whose_silo_died_is_marked_failed_when_the_cluster_starts_again()
    {
        TinyModel.Create(_root.Combine("bundled"));
        string jobId;
        await using (var first = await StartAsync())
        {
            await first.AddTrainingBatchAsync(skip: 500, test: 0);
            var start = await first.Coordinator().StartAsync(new RetrainRequest(50, 2, false));
            jobId = start.JobId!;
            await first.WaitForJobAsync(jobId, info => info.Status == TrainingJobStatus.Running || info.IsFinished);
            // No graceful deactivation: storage still says Running, as after a crash.
            await first.KillSiloAsync(first.Silos[0]);
        }

        await using var second = await StartAsync();
        var latest = await second.Coordinator().GetLatestAsync();

        Assert.Equal((jobId, TrainingJobStatus.Failed), (latest!.JobId, latest.Status));
        Assert.Equal(Training.TrainingJobGrain.SiloStoppedError, latest.Error); // found by the recovery, not a graceful stop
        var next = await second.Coordinator().StartAsync(new RetrainRequest(50, 2, false));
        Assert.Equal(StartRetrainOutcome.Started, next.Outcome);
        Assert.True(await second.Coordinator().CancelRunningAsync());
        await second.WaitForJobAsync(next.JobId!);
    }

    private Task<Orleans.TestingHost.InProcessTestCluster> StartAsync() =>
        PneumoniaTestCluster.StartAsync(_root.Combine("data"), _root.Combine("bundled"), gatePasses: false);
}
