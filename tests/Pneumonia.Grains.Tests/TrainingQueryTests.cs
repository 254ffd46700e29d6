using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using Pneumonia.Grains.Training;

namespace Pneumonia.Grains.Tests;

/// <summary>Queries of the training grains read; they never write state (they run on every GET and every Prometheus scrape).</summary>
[Collection(GrainsClusterDefinition.Name)]
public sealed class TrainingQueryTests(GrainsClusterFixture fixture)
{
    [Fact]
    public async Task Latest_and_list_leave_the_coordinators_stored_state_as_it_was_even_with_a_stale_running_job()
    {
        var cluster = fixture.Cluster;
        var storage = cluster.Services().GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);
        // A coordinator (its own key) whose running job ended without telling it: the state a query used to "fix".
        var jobId = $"job-query-{Guid.NewGuid():N}";
        var now = DateTimeOffset.UtcNow;
        var finished = new GrainState<TrainingJobState>(new TrainingJobState
        {
            Info = new TrainingJobInfo(jobId, new RetrainRequest(1, 8, false), TrainingJobStatus.Completed, "done", now)
            {
                StartedAt = now, FinishedAt = now, Progress = 100, Epoch = 1, Batch = 1, BatchesPerEpoch = 1,
            },
        });
        await storage.WriteStateAsync("job", cluster.Client.GetGrain<ITrainingJobGrain>(jobId).GetGrainId(), finished);
        var coordinator = cluster.Client.GetGrain<ITrainingCoordinatorGrain>($"query-{Guid.NewGuid():N}");
        var stored = new GrainState<TrainingCoordinatorState>(new TrainingCoordinatorState { RunningJobId = jobId, JobIds = [jobId] });
        await storage.WriteStateAsync("coordinator", coordinator.GetGrainId(), stored);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(jobId, (await coordinator.GetLatestAsync())?.JobId);
            Assert.Equal(jobId, Assert.Single(await coordinator.ListAsync()).JobId);
        }

        var after = new GrainState<TrainingCoordinatorState>();
        await storage.ReadStateAsync("coordinator", coordinator.GetGrainId(), after);
        Assert.Equal((stored.ETag, jobId), (after.ETag, after.State!.RunningJobId));

        // A command clears the stale id: nothing runs, so there is nothing to cancel.
        Assert.False(await coordinator.CancelRunningAsync());
        await storage.ReadStateAsync("coordinator", coordinator.GetGrainId(), after);
        Assert.Null(after.State!.RunningJobId);
    }

    [Fact]
    public void No_model_loaded_crosses_the_wire_as_itself()
    {
        var serializer = fixture.Cluster.Services().GetRequiredService<Serializer>();
        var copy = serializer.Deserialize<Exception>(serializer.SerializeToArray<Exception>(new NoModelLoadedException("no model here")));
        Assert.Equal(("no model here", typeof(NoModelLoadedException)), (copy!.Message, copy.GetType()));
    }
}
