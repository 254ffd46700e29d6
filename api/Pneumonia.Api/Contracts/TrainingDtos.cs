namespace Pneumonia.Api.Contracts;

/// <summary>The answer of <c>POST /retrain</c> (202).</summary>
public sealed record RetrainStartedResponse(string Status, string JobId, int Epochs, int BatchSize, bool FineTune, bool Promote);

/// <summary>One finished epoch.</summary>
public sealed record EpochDto(int Epoch, double TrainingLoss, double TrainingAccuracy, double ValidationLoss, double ValidationAuc, double Seconds);

/// <summary>
/// A training job (<c>GET /jobs/{id}</c>) or the latest one (<c>GET /retrain-progress</c>, which answers
/// <c>{"running": false, "progress": 0, "status": "idle"}</c> when there has been none).
/// </summary>
/// <param name="Status">"idle", "running", "completed", "failed" or "cancelled" (a queued job counts as running).</param>
/// <param name="Progress">0-100, counted in training batches.</param>
/// <param name="Phase">"queued", "loading", "caching", "training", "validating", "calibrating", "evaluating", "gating", "registering" or "done".</param>
/// <param name="EtaSeconds">Estimated seconds until the job ends, while it runs.</param>
/// <param name="ResultVersion">The model version the job produced.</param>
/// <param name="Promoted">Whether that version became production, and <paramref name="PromotionReason"/> why (not).</param>
/// <param name="Promote">Whether the job was asked to promote its model through the gate (false: train and judge only).</param>
/// <param name="Gate">The gate's report on the job's model against production, with every figure.</param>
/// <param name="ImagesDone">In the "loading" (decoding) and "caching" (frozen-stage features) phases: images done so far; <paramref name="EtaSeconds"/> is then the phase's.</param>
/// <param name="ImagesTotal">In those phases: images the phase works through.</param>
/// <param name="Silo">The silo that ran (or runs) the job, as Orleans addresses it (<c>ip:port@generation</c>); null while queued.</param>
public sealed record TrainingJobResponse(
    bool Running,
    double Progress,
    string Status,
    string? JobId,
    string? Phase,
    int Epoch,
    int Epochs,
    int Batch,
    int BatchesPerEpoch,
    int BatchSize,
    bool FineTune,
    double? Loss,
    double? Accuracy,
    double? ValidationAuc,
    double? EtaSeconds,
    string? ParentVersion,
    string? ResultVersion,
    bool? Promoted,
    string? PromotionReason,
    string? Error,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyList<EpochDto> History,
    bool Promote,
    GateDto? Gate,
    int ImagesDone,
    int ImagesTotal,
    string? Silo = null);

/// <summary>The answer of <c>GET /jobs</c>, newest first.</summary>
public sealed record JobListResponse(int Count, IReadOnlyList<TrainingJobResponse> Jobs);

/// <summary>The answer of <c>POST /stop-retrain</c>.</summary>
public sealed record StopRetrainResponse(string Status, string? JobId);
