namespace Pneumonia.Abstractions;

/// <summary>
/// What <c>POST /retrain</c> asks for: the one request type of a retrain, from the API through the coordinator to the
/// job (which keeps it in its persisted <see cref="TrainingJobInfo.Request"/>). The trainer gets it as its recipe
/// (the ML core's <c>TrainingOptions</c>), mapped once, in <c>RetrainOptions.RecipeFor</c> on the trainer silo.
/// </summary>
/// <param name="Epochs">1..<c>Pneumonia:Retrain:MaxEpochs</c>, checked by the coordinator.</param>
/// <param name="BatchSize">1..<c>Pneumonia:Retrain:MaxBatchSize</c>, checked by the coordinator.</param>
/// <param name="Promote">
/// True: the trained model replaces production if it passes the gate. False: it is trained, registered and judged by
/// the gate, and production is left alone (to compare candidates; promote one later with <c>POST /select-model</c>).
/// </param>
[GenerateSerializer, Immutable, Alias("pneumonia.RetrainRequest")]
public sealed record RetrainRequest(
    [property: Id(0)] int Epochs,
    [property: Id(1)] int BatchSize,
    [property: Id(2)] bool FineTune,
    [property: Id(3)] bool Promote = true);

[Alias("pneumonia.TrainingJobStatus")]
public enum TrainingJobStatus
{
    Pending = 0,
    Running = 1,
    Completed = 2,
    Failed = 3,
    Cancelled = 4,
}

/// <summary>One finished epoch of a job.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.TrainingEpoch")]
public sealed record TrainingEpoch(
    [property: Id(0)] int Epoch,
    [property: Id(1)] double TrainingLoss,
    [property: Id(2)] double TrainingAccuracy,
    [property: Id(3)] double ValidationLoss,
    [property: Id(4)] double ValidationAuc,
    [property: Id(5)] double Seconds);

/// <summary>
/// Everything known about a training job; persisted between epochs, so it survives a silo restart. Built with the
/// identity of the job (the constructor) and named properties for the rest, which start empty (0, null, none).
/// </summary>
/// <remarks>
/// Persisted: every member keeps its <c>[Id]</c>, the ones the record had when it was positional (0-23) and those
/// added since, so state written by every earlier version loads (TrainingJobStateCompatibilityTests).
/// </remarks>
/// <param name="Phase">"queued", "loading", "caching", "training", "validating", "calibrating", "evaluating", "gating", "registering" or "done".</param>
[GenerateSerializer, Immutable, Alias("pneumonia.TrainingJobInfo")]
public sealed record TrainingJobInfo(
    [property: Id(0)] string JobId,
    [property: Id(1)] RetrainRequest Request,
    [property: Id(2)] TrainingJobStatus Status,
    [property: Id(3)] string Phase,
    [property: Id(4)] DateTimeOffset CreatedAt)
{
    [Id(5)] public DateTimeOffset? StartedAt { get; init; }

    [Id(6)] public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>0-100, counted in training batches.</summary>
    [Id(7)] public double Progress { get; init; }

    [Id(8)] public int Epoch { get; init; }

    [Id(9)] public int Batch { get; init; }

    [Id(10)] public int BatchesPerEpoch { get; init; }

    [Id(11)] public double? Loss { get; init; }

    [Id(12)] public double? Accuracy { get; init; }

    [Id(13)] public double? ValidationAuc { get; init; }

    [Id(14)] public TimeSpan? Eta { get; init; }

    /// <summary>The production model the job started from.</summary>
    [Id(15)] public string? ParentVersion { get; init; }

    /// <summary>The model version the job produced, once registered.</summary>
    [Id(16)] public string? ResultVersion { get; init; }

    /// <summary>Whether the gate made <see cref="ResultVersion"/> production.</summary>
    [Id(17)] public bool? Promoted { get; init; }

    /// <summary>The gate's reasoning.</summary>
    [Id(18)] public string? PromotionReason { get; init; }

    [Id(19)] public string? Error { get; init; }

    /// <summary>Per-epoch metrics, filled when training ends.</summary>
    [Id(20)] public IReadOnlyList<TrainingEpoch> History { get; init; } = [];

    /// <summary>The gate's report: the new model and production compared on the gate set, figure by figure.</summary>
    [Id(21)] public GateReport? Gate { get; init; }

    /// <summary>In the "loading" and "caching" phases: images decoded (or run through the frozen stages) so far.</summary>
    [Id(22)] public int ImagesDone { get; init; }

    /// <summary>In those phases: the images the phase works through.</summary>
    [Id(23)] public int ImagesTotal { get; init; }

    public bool IsFinished => Status is TrainingJobStatus.Completed or TrainingJobStatus.Failed or TrainingJobStatus.Cancelled;

    /// <summary>
    /// The silo the job ran on (its Orleans silo address, <c>ip:port@generation</c>), set when the training thread
    /// starts; null while queued. Added after the record's first release: a new id, never a renumbering.
    /// </summary>
    [Id(24)] public string? Silo { get; init; }
}

[Alias("pneumonia.StartRetrainOutcome")]
public enum StartRetrainOutcome
{
    Started = 0,
    AlreadyRunning = 1,

    /// <summary>No production model to start from.</summary>
    NothingToTrain = 2,

    /// <summary>Too few trainable labelled images of a class.</summary>
    NotEnoughData = 3,

    /// <summary>The base data set is still being imported: try again shortly.</summary>
    DataNotReady = 4,

    /// <summary>A value of the request is outside the silos' limits (<c>Pneumonia:Retrain</c>); see <see cref="StartRetrainResult.OutOfRange"/>.</summary>
    InvalidRequest = 5,
}

/// <summary>A value of a <see cref="RetrainRequest"/> outside its allowed range.</summary>
/// <param name="Field">The <see cref="RetrainRequest"/> property, e.g. <c>nameof(RetrainRequest.Epochs)</c>.</param>
[GenerateSerializer, Immutable, Alias("pneumonia.RetrainValueOutOfRange")]
public sealed record RetrainValueOutOfRange(
    [property: Id(0)] string Field,
    [property: Id(1)] int Value,
    [property: Id(2)] int Minimum,
    [property: Id(3)] int Maximum);

/// <param name="JobId">The new job, or the one already running.</param>
/// <param name="Reason">Why nothing was started.</param>
/// <param name="OutOfRange">With <see cref="StartRetrainOutcome.InvalidRequest"/>: every value outside its range.</param>
[GenerateSerializer, Immutable, Alias("pneumonia.StartRetrainResult")]
public sealed record StartRetrainResult(
    [property: Id(0)] StartRetrainOutcome Outcome,
    [property: Id(1)] string? JobId,
    [property: Id(2)] string? Reason,
    [property: Id(3)] IReadOnlyList<RetrainValueOutOfRange>? OutOfRange = null);

/// <summary>One training job. Key: the job id. Training runs off the grain's turn; calls return at once.</summary>
[Alias("pneumonia.ITrainingJobGrain")]
public interface ITrainingJobGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts the job (idempotent for the same request) and returns without waiting for training. Called by the
    /// coordinator, which has checked the request against the limits.
    /// </summary>
    Task StartAsync(RetrainRequest request);

    Task<TrainingJobInfo?> GetAsync();

    /// <summary>Asks the job to stop; it ends Cancelled within seconds and production is untouched.</summary>
    Task CancelAsync();
}

/// <summary>Admits one training job at a time in the whole cluster and lists them. Key: <see cref="WellKnownKeys.Default"/>.</summary>
[Alias("pneumonia.ITrainingCoordinatorGrain")]
public interface ITrainingCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts a job unless one runs, the data is not ready or the request is outside the limits of
    /// <c>Pneumonia:Retrain</c> (the one place they are checked: front ends need not know them).
    /// </summary>
    Task<StartRetrainResult> StartAsync(RetrainRequest request);

    /// <summary>The running job, else the most recent one, else null.</summary>
    Task<TrainingJobInfo?> GetLatestAsync();

    /// <summary>Every job, newest first.</summary>
    Task<IReadOnlyList<TrainingJobInfo>> ListAsync();

    /// <summary>Cancels the running job; false when none runs.</summary>
    Task<bool> CancelRunningAsync();

    /// <summary>Called by a job when it ends, so that the next one may start.</summary>
    Task JobEndedAsync(string jobId);
}
