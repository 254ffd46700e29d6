namespace Pneumonia;

/// <summary>
/// Binary-classification metrics for one set of predictions, with PNEUMONIA (label <c>true</c>) as the positive class.
/// Stored in the model card and returned by the REST API, so it holds only plain, JSON-friendly values.
/// </summary>
/// <remarks>
/// A ratio whose denominator is zero (precision with no predicted positives, recall or ROC-AUC with no positives,
/// specificity with no negatives, ...) is reported as 0, never NaN: JSON cannot carry NaN, and the
/// <see cref="Positives"/> / <see cref="Negatives"/> counts show when that happened.
/// </remarks>
public sealed record EvaluationReport
{
    /// <summary>Number of evaluated items.</summary>
    public required int Count { get; init; }

    /// <summary>Number of items labelled PNEUMONIA.</summary>
    public required int Positives { get; init; }

    /// <summary>Number of items labelled NORMAL.</summary>
    public required int Negatives { get; init; }

    /// <summary>Decision threshold: an item is predicted PNEUMONIA when its probability is &gt;= this value.</summary>
    public required double Threshold { get; init; }

    /// <summary>(TP + TN) / Count at <see cref="Threshold"/>.</summary>
    public required double Accuracy { get; init; }

    /// <summary>TP / (TP + FP) at <see cref="Threshold"/>; 0 when nothing is predicted positive.</summary>
    public required double Precision { get; init; }

    /// <summary>Sensitivity, TP / (TP + FN) at <see cref="Threshold"/>; 0 when there are no positives.</summary>
    public required double Recall { get; init; }

    /// <summary>TN / (TN + FP) at <see cref="Threshold"/>; 0 when there are no negatives.</summary>
    public required double Specificity { get; init; }

    /// <summary>2TP / (2TP + FP + FN), the harmonic mean of precision and recall; 0 when that denominator is 0.</summary>
    public required double F1 { get; init; }

    /// <summary>
    /// Area under the ROC curve, exact: the Mann-Whitney U statistic with average ranks for ties divided by
    /// Positives x Negatives (a tied positive/negative pair counts one half). 0 when either class is absent.
    /// </summary>
    public required double RocAuc { get; init; }

    /// <summary>
    /// Average precision (scikit-learn's definition): the sum over distinct thresholds, from high to low, of
    /// (R_k - R_(k-1)) x P_k, a step-wise area with no interpolation. 0 when there are no positives.
    /// </summary>
    public required double PrAuc { get; init; }

    /// <summary>Mean of (p - y)^2 with y = 1 for PNEUMONIA.</summary>
    public required double BrierScore { get; init; }

    /// <summary>
    /// Expected calibration error over the 15 <see cref="CalibrationBins"/>:
    /// sum over bins of (bin count / Count) x |mean predicted probability - fraction of positives|.
    /// </summary>
    public required double ExpectedCalibrationError { get; init; }

    /// <summary>Mean binary cross-entropy, with probabilities clipped to [1e-7, 1 - 1e-7] so it stays finite.</summary>
    public required double LogLoss { get; init; }

    /// <summary>Counts at <see cref="Threshold"/>.</summary>
    public required ConfusionMatrix ConfusionMatrix { get; init; }

    /// <summary>
    /// ROC curve from the strictest threshold to the loosest, starting at (0, 0) and ending at (1, 1) (when both
    /// classes are present); thinned to a bounded number of points (the ML core's <c>BinaryClassificationEvaluator.MaxRocPoints</c>).
    /// </summary>
    public required IReadOnlyList<RocPoint> RocCurve { get; init; }

    /// <summary>
    /// The 15 equal-width reliability bins over P(pneumonia), all of them, in order; empty bins have zero values.
    /// </summary>
    public required IReadOnlyList<CalibrationBin> CalibrationBins { get; init; }
}

/// <summary>Confusion-matrix counts with PNEUMONIA as the positive class.</summary>
/// <param name="TruePositives">PNEUMONIA predicted PNEUMONIA.</param>
/// <param name="FalsePositives">NORMAL predicted PNEUMONIA.</param>
/// <param name="TrueNegatives">NORMAL predicted NORMAL.</param>
/// <param name="FalseNegatives">PNEUMONIA predicted NORMAL (missed cases).</param>
public sealed record ConfusionMatrix(int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives);

/// <summary>One point of a ROC curve.</summary>
/// <param name="Threshold">
/// Items with probability &gt;= this are predicted positive. The (0, 0) point uses the smallest double above 1,
/// where scikit-learn uses infinity, because JSON cannot carry infinity.
/// </param>
/// <param name="FalsePositiveRate">FP / Negatives (1 - specificity).</param>
/// <param name="TruePositiveRate">TP / Positives (sensitivity).</param>
public sealed record RocPoint(double Threshold, double FalsePositiveRate, double TruePositiveRate);

/// <summary>One reliability-diagram bin: items with <paramref name="Lower"/> &lt;= p &lt; <paramref name="Upper"/>
/// (the last bin also holds p = 1).</summary>
/// <param name="Lower">Inclusive lower edge.</param>
/// <param name="Upper">Exclusive upper edge (inclusive for the last bin).</param>
/// <param name="Count">Number of items in the bin.</param>
/// <param name="MeanPredicted">Mean P(pneumonia) of those items; 0 for an empty bin.</param>
/// <param name="FractionPositive">Fraction of those items labelled PNEUMONIA; 0 for an empty bin.</param>
public sealed record CalibrationBin(double Lower, double Upper, int Count, double MeanPredicted, double FractionPositive);
