namespace Pneumonia.Api.Contracts;

/// <summary>Headline metrics of one split at the model's threshold.</summary>
/// <param name="Auc">ROC-AUC.</param>
/// <param name="Loss">Log loss (mean binary cross-entropy).</param>
public sealed record MetricsSummary(
    int Count,
    double Accuracy,
    double Precision,
    double Recall,
    double Specificity,
    double F1,
    double Auc,
    double PrAuc,
    double BrierScore,
    double ExpectedCalibrationError,
    double Loss,
    ConfusionMatrixDto ConfusionMatrix);

/// <summary>Counts with PNEUMONIA as the positive class.</summary>
public sealed record ConfusionMatrixDto(int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives);

/// <summary>One model version (<c>GET /models</c>).</summary>
/// <param name="Gate">The latest promotion-gate report on this version (null when it was never judged).</param>
public sealed record ModelDto(
    string Version,
    DateTimeOffset CreatedAt,
    string? ParentVersion,
    double Threshold,
    bool IsProduction,
    MetricsSummary Validation,
    MetricsSummary? Test,
    GateDto? Gate);

/// <summary>
/// One figure of the promotion gate: candidate and production on the same gate images, the difference
/// (candidate - production) with its 95% interval and p-value where computed, the allowed change and the outcome.
/// </summary>
/// <param name="Name">"roc_auc", "sensitivity", "specificity", "brier" or "ece".</param>
/// <param name="HigherIsBetter">True for ROC-AUC, sensitivity and specificity; false for the Brier score and ECE.</param>
/// <param name="Tolerance">How much worse than production the candidate may be on this figure.</param>
public sealed record GateFigureDto(
    string Name, double Candidate, double Production, double Difference, double? Lower95, double? Upper95, double? PValue,
    bool HigherIsBetter, double Tolerance, bool Passed, string Method);

/// <summary>The promotion gate's report: both models scored as served on the same fixed gate set.</summary>
/// <param name="Verdict">"passed", "refused" or "not_enough_evidence".</param>
/// <param name="GateSetVersion">Which version of the gate set (it grows with uploads) both were scored on.</param>
/// <param name="Normal">NORMAL images in the gate set.</param>
/// <param name="Pneumonia">PNEUMONIA images in the gate set.</param>
public sealed record GateDto(
    string Verdict,
    string CandidateVersion,
    string ProductionVersion,
    int GateSetVersion,
    int Normal,
    int Pneumonia,
    IReadOnlyList<GateFigureDto> Figures,
    string Summary,
    DateTimeOffset EvaluatedAt);

/// <summary>The answer of <c>GET /models</c>: every version, newest first, and which one is production.</summary>
public sealed record ModelListResponse(string? Production, int Count, IReadOnlyList<ModelDto> Models);

/// <summary>The answer of <c>POST /select-model</c> and <c>POST /models/rollback</c>, and one entry of <c>GET /models/history</c>.</summary>
/// <param name="Forced">Promoted although the gate did not pass it (force=true), or a rollback.</param>
/// <param name="Gate">The gate's report with every figure, when the version was evaluated.</param>
public sealed record PromotionResponse(
    string Status, string ModelVersion, bool Promoted, string? PreviousVersion, bool Forced, string Reason, DateTimeOffset At, GateDto? Gate);

/// <summary>One point of a ROC curve.</summary>
public sealed record RocPointDto(double Threshold, double FalsePositiveRate, double TruePositiveRate);

/// <summary>One reliability bin: items with lower &lt;= p &lt; upper.</summary>
public sealed record CalibrationBinDto(double Lower, double Upper, int Count, double MeanPredicted, double FractionPositive);

/// <summary>
/// The answer of <c>GET /metrics</c>: the production model's metrics on the test split (the validation split when
/// the model has no test evaluation), read from its model card, never recomputed.
/// </summary>
/// <param name="Split">"test" or "validation": which split the numbers are from.</param>
/// <param name="Gate">The gate report that made this version production: its figures on the gate set against the model it replaced.</param>
/// <param name="Auc">ROC-AUC.</param>
/// <param name="Loss">Log loss.</param>
public sealed record ModelMetricsResponse(
    string ModelVersion,
    string Split,
    int Count,
    int Positives,
    int Negatives,
    double Threshold,
    string ThresholdRule,
    double Accuracy,
    double Precision,
    double Recall,
    double Auc,
    double Loss,
    double Specificity,
    double F1,
    double PrAuc,
    double BrierScore,
    double ExpectedCalibrationError,
    ConfusionMatrixDto ConfusionMatrix,
    IReadOnlyList<RocPointDto> RocCurve,
    IReadOnlyList<CalibrationBinDto> Calibration,
    MetricsSummary Validation,
    GateDto? Gate);
