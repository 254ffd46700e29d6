using Pneumonia.Abstractions;
using Pneumonia.Ml.Evaluation;

namespace Pneumonia.Api.Contracts;

/// <summary>Grain records and model-card types to the API's DTOs.</summary>
internal static class Mapping
{
    public static TrainingJobResponse Idle { get; } = new(
        false, 0, "idle", null, null, 0, 0, 0, 0, 0, false, null, null, null, null, null, null, null, null, null, null, null, null, []);

    public static TrainingJobResponse ToDto(this TrainingJobInfo job) => new(
        Running: !job.IsFinished,
        Progress: Math.Round(job.Progress, 2),
        Status: job.Status switch
        {
            TrainingJobStatus.Completed => "completed",
            TrainingJobStatus.Failed => "failed",
            TrainingJobStatus.Cancelled => "cancelled",
            _ => "running",
        },
        JobId: job.JobId,
        Phase: job.Phase,
        Epoch: job.Epoch,
        Epochs: job.Request.Epochs,
        Batch: job.Batch,
        BatchesPerEpoch: job.BatchesPerEpoch,
        BatchSize: job.Request.BatchSize,
        FineTune: job.Request.FineTune,
        Loss: job.Loss,
        Accuracy: job.Accuracy,
        ValidationAuc: job.ValidationAuc,
        EtaSeconds: job.Eta is { } eta ? Math.Round(eta.TotalSeconds, 1) : null,
        ParentVersion: job.ParentVersion,
        ResultVersion: job.ResultVersion,
        Promoted: job.Promoted,
        PromotionReason: job.PromotionReason,
        Error: job.Error,
        CreatedAt: job.CreatedAt,
        StartedAt: job.StartedAt,
        FinishedAt: job.FinishedAt,
        History: [.. job.History.Select(e => new EpochDto(e.Epoch, e.TrainingLoss, e.TrainingAccuracy, e.ValidationLoss, e.ValidationAuc, e.Seconds))],
        Silo: job.Silo);

    public static MetricsSummary ToDto(this ModelMetrics m) => new(
        m.Count, m.Accuracy, m.Precision, m.Recall, m.Specificity, m.F1, m.RocAuc, m.PrAuc, m.BrierScore,
        m.ExpectedCalibrationError, m.LogLoss, new ConfusionMatrixDto(m.TruePositives, m.FalsePositives, m.TrueNegatives, m.FalseNegatives));

    public static MetricsSummary ToSummary(this EvaluationReport r) => new(
        r.Count, r.Accuracy, r.Precision, r.Recall, r.Specificity, r.F1, r.RocAuc, r.PrAuc, r.BrierScore,
        r.ExpectedCalibrationError, r.LogLoss, r.ConfusionMatrix.ToDto());

    public static ConfusionMatrixDto ToDto(this ConfusionMatrix c) => new(c.TruePositives, c.FalsePositives, c.TrueNegatives, c.FalseNegatives);

    public static ModelDto ToDto(this ModelVersionInfo info, string? production) => new(
        info.Version, info.CreatedAt, info.ParentVersion, info.Threshold, info.Version == production, info.Validation.ToDto(), info.Test?.ToDto());

    public static PromotionResponse ToDto(this PromotionDecision d) => new(
        d.Promoted ? "ok" : "refused", d.Version, d.Promoted, d.PreviousVersion, d.Forced, d.Reason, d.At);

    public static string ToApiName(this ImageLabel? label) => label switch
    {
        ImageLabel.Normal => "NORMAL",
        ImageLabel.Pneumonia => "PNEUMONIA",
        _ => "unlabelled",
    };

    public static string ToApiName(this ImageSplit split) => split switch
    {
        ImageSplit.Validation => "validation",
        ImageSplit.Test => "test",
        _ => "train",
    };
}
