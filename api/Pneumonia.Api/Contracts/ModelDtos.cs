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
public sealed record ModelDto(
    string Version,
    DateTimeOffset CreatedAt,
    string? ParentVersion,
    double Threshold,
    bool IsProduction,
    MetricsSummary Validation,
    MetricsSummary? Test);

/// <summary>The answer of <c>GET /models</c>: every version, newest first, and which one is production.</summary>
public sealed record ModelListResponse(string? Production, int Count, IReadOnlyList<ModelDto> Models);

/// <summary>The answer of <c>POST /select-model</c> and <c>POST /models/rollback</c>.</summary>
public sealed record PromotionResponse(string Status, string ModelVersion, bool Promoted, string? PreviousVersion, bool Forced, string Reason, DateTimeOffset At);

/// <summary>One point of a ROC curve.</summary>
public sealed record RocPointDto(double Threshold, double FalsePositiveRate, double TruePositiveRate);

/// <summary>One reliability bin: items with lower &lt;= p &lt; upper.</summary>
public sealed record CalibrationBinDto(double Lower, double Upper, int Count, double MeanPredicted, double FractionPositive);

/// <summary>
/// The answer of <c>GET /metrics</c>: the production model's metrics on the test split (the validation split when
/// the model has no test evaluation), read from its model card, never recomputed.
/// </summary>
/// <param name="Split">"test" or "validation": which split the numbers are from.</param>
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
    MetricsSummary Validation);
