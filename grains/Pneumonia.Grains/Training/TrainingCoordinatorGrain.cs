using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Hosting;

namespace Pneumonia.Grains.Training;

/// <summary>Persisted state of <see cref="TrainingCoordinatorGrain"/>.</summary>
[GenerateSerializer, Alias("pneumonia.TrainingCoordinatorState")]
public sealed class TrainingCoordinatorState
{
    [Id(0)] public string? RunningJobId { get; set; }

    /// <summary>Every job id, oldest first.</summary>
    [Id(1)] public List<string> JobIds { get; set; } = [];
}

/// <summary>
/// Admits one training job at a time in the cluster. A single non-reentrant activation serializes concurrent
/// starts, so of any number of simultaneous requests exactly one starts a job. The running job is confirmed with
/// the job itself before refusing a start, so a job that ended without telling (its silo died) never blocks training.
/// </summary>
public sealed class TrainingCoordinatorGrain(
    [PersistentState("coordinator", GrainStorage.Name)] IPersistentState<TrainingCoordinatorState> state,
    IOptions<RetrainOptions> options,
    TimeProvider time) : Grain, ITrainingCoordinatorGrain
{
    public async Task<StartRetrainResult> StartAsync(RetrainRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (options.Value.OutOfRange(request) is { Count: > 0 } outside)
        {
            return new StartRetrainResult(StartRetrainOutcome.InvalidRequest, null,
                string.Join(" ", outside.Select(o => $"{o.Field} must be between {o.Minimum} and {o.Maximum}; got {o.Value}.")), outside);
        }

        if (await ConfirmRunningJobAsync() is { } running)
        {
            return new StartRetrainResult(StartRetrainOutcome.AlreadyRunning, running, $"training job {running} is still running");
        }

        var readiness = await GrainFactory.GetGrain<IDatasetGrain>(WellKnownKeys.Default).GetTrainingReadinessAsync();
        if (readiness.BaseData is { State: BaseDataState.Importing } importing)
        {
            return new StartRetrainResult(StartRetrainOutcome.DataNotReady, null,
                $"{importing.Message} A retrain now would train on the uploads alone; try again when the import has finished (GET /health/ready, /dataset/stats).");
        }

        if (NotEnoughData(readiness, options.Value.MinimumTrainingImagesPerClass) is { } missing)
        {
            return new StartRetrainResult(StartRetrainOutcome.NotEnoughData, null, missing);
        }

        if (await GrainFactory.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default).GetProductionAsync() is null)
        {
            return new StartRetrainResult(StartRetrainOutcome.NothingToTrain, null, "there is no production model to start from");
        }

        var jobId = $"job-{time.GetUtcNow():yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        // Recorded before the job starts: if this silo dies in between, the next start finds a job that never
        // started (GetAsync returns null) and clears it.
        state.State.RunningJobId = jobId;
        state.State.JobIds.Add(jobId);
        await state.WriteStateAsync();
        try
        {
            await GrainFactory.GetGrain<ITrainingJobGrain>(jobId).StartAsync(request);
        }
        catch
        {
            state.State.RunningJobId = null;
            await state.WriteStateAsync();
            throw;
        }

        return new StartRetrainResult(StartRetrainOutcome.Started, jobId, null);
    }

    // Queries never write: the running job is always the newest one, so the latest job needs no confirmation, and a
    // stale RunningJobId (its job ended without telling) is harmless to them. Asking the job still activates it, and a
    // job whose silo died marks itself failed on activation and then calls JobEndedAsync, which clears the id.
    public async Task<TrainingJobInfo?> GetLatestAsync() =>
        state.State.JobIds.LastOrDefault() is { } id ? await GrainFactory.GetGrain<ITrainingJobGrain>(id).GetAsync() : null;

    public async Task<IReadOnlyList<TrainingJobInfo>> ListAsync()
    {
        var jobs = await Task.WhenAll(Enumerable.Reverse(state.State.JobIds).Select(id => GrainFactory.GetGrain<ITrainingJobGrain>(id).GetAsync()));
        return jobs.OfType<TrainingJobInfo>().ToList();
    }

    public async Task<bool> CancelRunningAsync()
    {
        if (await ConfirmRunningJobAsync() is not { } running)
        {
            return false;
        }

        await GrainFactory.GetGrain<ITrainingJobGrain>(running).CancelAsync();
        return true;
    }

    public async Task JobEndedAsync(string jobId)
    {
        if (state.State.RunningJobId == jobId)
        {
            state.State.RunningJobId = null;
            await state.WriteStateAsync();
        }
    }

    /// <summary>What is missing for a retrain, in a sentence naming the counts and the minimum; null when nothing is.</summary>
    private static string? NotEnoughData(TrainingReadiness readiness, int minimum)
    {
        var (normal, pneumonia) = (readiness.TrainNormal, readiness.TrainPneumonia);
        if (normal >= minimum && pneumonia >= minimum)
        {
            return null;
        }

        var held = readiness.HeldOutImages > 0 ? $", {readiness.HeldOutImages} more in batches held for review" : "";
        var baseData = readiness.BaseData is { State: BaseDataState.NotFound or BaseDataState.NotConfigured or BaseDataState.Failed } status
            ? $" {status.Message}"
            : "";
        return $"A retrain needs at least {minimum} trainable labelled images of each class (Pneumonia:Retrain:MinimumTrainingImagesPerClass); " +
               $"the data set has {normal} NORMAL and {pneumonia} PNEUMONIA (besides {readiness.GateNormal + readiness.GatePneumonia} gate-set images, never trained on{held}). " +
               $"Upload more labelled images (POST /upload with label=NORMAL or PNEUMONIA, or a zip with NORMAL/ and PNEUMONIA/ folders).{baseData}";
    }

    /// <summary>
    /// The running job's id after asking the job itself, for the commands (start, cancel): a job whose silo died is
    /// marked failed when asking activates it, so a stale job cannot block new ones; its stale id is cleared here.
    /// </summary>
    private async Task<string?> ConfirmRunningJobAsync()
    {
        if (state.State.RunningJobId is not { } id)
        {
            return null;
        }

        var info = await GrainFactory.GetGrain<ITrainingJobGrain>(id).GetAsync();
        if (info is { IsFinished: false })
        {
            return id;
        }

        state.State.RunningJobId = null;
        await state.WriteStateAsync();
        return null;
    }
}
