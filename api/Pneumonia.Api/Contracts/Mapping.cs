using Pneumonia.Abstractions;

namespace Pneumonia.Api.Contracts;

/// <summary>Grain records and model-card types to the API's DTOs.</summary>
internal static class Mapping
{
    public static TrainingJobResponse Idle { get; } = new(
        false, 0, "idle", null, null, 0, 0, 0, 0, 0, false, null, null, null, null, null, null, null, null, null, null, null, null, [], false, null, 0, 0);

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
        Promote: job.Request.Promote,
        Gate: job.Gate?.ToDto(),
        ImagesDone: job.ImagesDone,
        ImagesTotal: job.ImagesTotal,
        Silo: job.Silo);

    public static GateDto ToDto(this GateReport gate) => new(
        gate.Verdict switch
        {
            GateVerdict.Passed => "passed",
            GateVerdict.Refused => "refused",
            _ => "not_enough_evidence",
        },
        gate.CandidateVersion, gate.ProductionVersion, gate.GateSetVersion, gate.Normal, gate.Pneumonia,
        [.. gate.Figures.Select(f => new GateFigureDto(f.Name, f.Candidate, f.Production, f.Difference, f.Lower95, f.Upper95, f.PValue, f.HigherIsBetter, f.Tolerance, f.Passed, f.Method))],
        gate.Summary, gate.EvaluatedAt);

    public static MetricsSummary ToDto(this ModelMetrics m) => new(
        m.Count, m.Accuracy, m.Precision, m.Recall, m.Specificity, m.F1, m.RocAuc, m.PrAuc, m.BrierScore,
        m.ExpectedCalibrationError, m.LogLoss, new ConfusionMatrixDto(m.TruePositives, m.FalsePositives, m.TrueNegatives, m.FalseNegatives));

    public static MetricsSummary ToSummary(this EvaluationReport r) => new(
        r.Count, r.Accuracy, r.Precision, r.Recall, r.Specificity, r.F1, r.RocAuc, r.PrAuc, r.BrierScore,
        r.ExpectedCalibrationError, r.LogLoss, r.ConfusionMatrix.ToDto());

    public static ConfusionMatrixDto ToDto(this ConfusionMatrix c) => new(c.TruePositives, c.FalsePositives, c.TrueNegatives, c.FalseNegatives);

    public static ModelDto ToDto(this ModelVersionInfo info, string? production, GateReport? gate) => new(
        info.Version, info.CreatedAt, info.ParentVersion, info.Threshold, info.Version == production, info.Validation.ToDto(), info.Test?.ToDto(), gate?.ToDto());

    public static PromotionResponse ToDto(this PromotionDecision d) => new(
        d.Promoted ? "ok" : "refused", d.Version, d.Promoted, d.PreviousVersion, d.Forced, d.Reason, d.At, d.Gate?.ToDto());

    public static BatchSummaryDto ToDto(this UploadBatchSummary b) => new(
        b.BatchId, b.Source, b.CreatedAt, b.Accepted, b.Duplicates, b.Rejected, b.AcceptedNormal, b.AcceptedPneumonia, b.AcceptedUnlabelled,
        b.TrainingUse.ToApiName(), b.GateImages, b.Screen?.ToDto());

    public static ImageDto ToDto(this ImageRecord i) => new(
        i.Sha256, i.Label.ToApiName(), i.Split.ToApiName(), i.Source, i.OriginalName, i.SizeBytes, i.Width, i.Height, i.PatientId, i.AddedAt);

    public static LabelScreenDto ToDto(this LabelScreenSummary s) => new(s.ModelVersion, s.Checked, s.Disputed, s.ExpectedDisputeRate, s.Held, s.Reason);

    public static BaseDataDto ToDto(this BaseDataStatus b) => new(
        b.State switch
        {
            BaseDataState.NotConfigured => "not_configured",
            BaseDataState.NotFound => "not_found",
            BaseDataState.Importing => "importing",
            BaseDataState.Imported => "imported",
            _ => "failed",
        },
        b.Path, b.Message, b.At);

    public static string ToApiName(this BatchTrainingUse use) => use switch
    {
        BatchTrainingUse.HeldForReview => "held_for_review",
        BatchTrainingUse.Confirmed => "confirmed",
        _ => "used",
    };

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
