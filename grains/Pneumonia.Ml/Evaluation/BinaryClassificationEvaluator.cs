namespace Pneumonia.Ml.Evaluation;

/// <summary>
/// Computes an <see cref="EvaluationReport"/> from predicted P(pneumonia) and true labels (PNEUMONIA = <c>true</c>).
/// Sorts once, O(n log n); everything else is linear.
/// </summary>
public static class BinaryClassificationEvaluator
{
    /// <summary>Upper bound on the number of points kept in <see cref="EvaluationReport.RocCurve"/>.</summary>
    public const int MaxRocPoints = 200;

    /// <summary>Number of equal-width bins used for <see cref="EvaluationReport.CalibrationBins"/> and the ECE.</summary>
    public const int CalibrationBinCount = 15;

    private const double LogLossEpsilon = 1e-7;

    // Nothing is >= this, so it plays the role of scikit-learn's +infinity while staying valid JSON.
    private static readonly double AboveEveryProbability = Math.BitIncrement(1.0);

    /// <summary>Evaluates predictions against labels.</summary>
    /// <param name="probabilities">P(pneumonia) per item, each finite and in [0, 1].</param>
    /// <param name="labels">True label per item, <c>true</c> = PNEUMONIA.</param>
    /// <param name="threshold">Predict PNEUMONIA when probability &gt;= threshold; in [0, 1].</param>
    /// <exception cref="ArgumentException">Lengths differ, no items, a probability or the threshold is outside [0, 1] or not finite.</exception>
    public static EvaluationReport Evaluate(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, double threshold)
    {
        EvaluationInputs.Validate(probabilities, labels);
        if (!(threshold >= 0.0 && threshold <= 1.0))
        {
            throw new ArgumentException($"threshold = {threshold} is not a finite value in [0, 1].", nameof(threshold));
        }

        var (scores, sortedLabels) = EvaluationInputs.SortAscending(probabilities, labels);
        var n = scores.Length;
        var positives = sortedLabels.Count(y => y);
        var negatives = n - positives;

        var confusion = Confusion(scores, sortedLabels, threshold);
        var (tp, fp, tn, fn) = (confusion.TruePositives, confusion.FalsePositives, confusion.TrueNegatives, confusion.FalseNegatives);
        var (rocAuc, prAuc, rocCurve) = RankingMetrics(scores, sortedLabels, positives, negatives);
        var (bins, ece) = Calibration(scores, sortedLabels);

        double brier = 0, logLoss = 0;
        for (var i = 0; i < n; i++)
        {
            var p = scores[i];
            var y = sortedLabels[i] ? 1.0 : 0.0;
            brier += (p - y) * (p - y);
            var clipped = Math.Clamp(p, LogLossEpsilon, 1 - LogLossEpsilon);
            logLoss -= sortedLabels[i] ? Math.Log(clipped) : Math.Log(1 - clipped);
        }

        return new EvaluationReport
        {
            Count = n,
            Positives = positives,
            Negatives = negatives,
            Threshold = threshold,
            Accuracy = (double)(tp + tn) / n,
            Precision = EvaluationInputs.Ratio(tp, tp + fp),
            Recall = EvaluationInputs.Ratio(tp, tp + fn),
            Specificity = EvaluationInputs.Ratio(tn, tn + fp),
            F1 = EvaluationInputs.Ratio(2.0 * tp, (2.0 * tp) + fp + fn),
            RocAuc = rocAuc,
            PrAuc = prAuc,
            BrierScore = brier / n,
            ExpectedCalibrationError = ece,
            LogLoss = logLoss / n,
            ConfusionMatrix = confusion,
            RocCurve = rocCurve,
            CalibrationBins = bins,
        };
    }

    private static ConfusionMatrix Confusion(double[] scores, bool[] labels, double threshold)
    {
        int tp = 0, fp = 0, tn = 0, fn = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var predicted = scores[i] >= threshold;
            if (labels[i])
            {
                if (predicted) tp++; else fn++;
            }
            else
            {
                if (predicted) fp++; else tn++;
            }
        }

        return new ConfusionMatrix(tp, fp, tn, fn);
    }

    /// <summary>
    /// One pass over groups of tied scores, from the highest down: each group is one ROC point and one
    /// average-precision step, and contributes its average rank to the Mann-Whitney rank sum.
    /// </summary>
    private static (double RocAuc, double PrAuc, IReadOnlyList<RocPoint> Curve) RankingMetrics(
        double[] scores, bool[] labels, int positives, int negatives)
    {
        var curve = new List<RocPoint> { new(AboveEveryProbability, 0, 0) };
        double positiveRankSum = 0, averagePrecision = 0;
        int tp = 0, fp = 0;
        var end = scores.Length - 1;
        while (end >= 0)
        {
            var start = end;
            while (start > 0 && scores[start - 1] == scores[end])
            {
                start--;
            }

            var groupPositives = 0;
            for (var i = start; i <= end; i++)
            {
                if (labels[i]) groupPositives++;
            }

            // Ascending 1-based ranks start+1 .. end+1 are shared equally by the tied items.
            positiveRankSum += groupPositives * (((start + end) / 2.0) + 1);
            tp += groupPositives;
            fp += end - start + 1 - groupPositives;
            if (groupPositives > 0)
            {
                averagePrecision += (double)groupPositives / positives * tp / (tp + fp);
            }

            curve.Add(new RocPoint(scores[end], EvaluationInputs.Ratio(fp, negatives), EvaluationInputs.Ratio(tp, positives)));
            end = start - 1;
        }

        var u = positiveRankSum - (positives * (positives + 1.0) / 2);
        var rocAuc = EvaluationInputs.Ratio(u, (double)positives * negatives);
        return (rocAuc, averagePrecision, Thin(curve, MaxRocPoints));
    }

    /// <summary>
    /// Keeps a point only once it has moved at least 2 / (max - 2) in FPR + TPR (which grows monotonically from 0
    /// to 2 along the curve) since the last kept point, plus both endpoints. That bounds the count by
    /// <paramref name="max"/> and the gap between kept points by about 1 % of the plot, so the shape survives.
    /// </summary>
    internal static IReadOnlyList<RocPoint> Thin(List<RocPoint> curve, int max)
    {
        if (curve.Count <= max)
        {
            return curve;
        }

        var step = 2.0 / (max - 2);
        var kept = new List<RocPoint>(max) { curve[0] };
        var lastKept = 0.0;
        for (var i = 1; i < curve.Count - 1; i++)
        {
            var position = curve[i].FalsePositiveRate + curve[i].TruePositiveRate;
            if (position - lastKept >= step)
            {
                kept.Add(curve[i]);
                lastKept = position;
            }
        }

        kept.Add(curve[^1]);
        return kept;
    }

    private static (IReadOnlyList<CalibrationBin> Bins, double Ece) Calibration(double[] scores, bool[] labels)
    {
        var counts = new int[CalibrationBinCount];
        var predictedSums = new double[CalibrationBinCount];
        var positiveCounts = new int[CalibrationBinCount];
        for (var i = 0; i < scores.Length; i++)
        {
            // floor(15p): bin b holds b/15 <= p < (b+1)/15; p = 1 joins the last bin.
            var bin = Math.Min((int)(scores[i] * CalibrationBinCount), CalibrationBinCount - 1);
            counts[bin]++;
            predictedSums[bin] += scores[i];
            if (labels[i]) positiveCounts[bin]++;
        }

        var bins = new CalibrationBin[CalibrationBinCount];
        double ece = 0;
        for (var b = 0; b < CalibrationBinCount; b++)
        {
            var meanPredicted = EvaluationInputs.Ratio(predictedSums[b], counts[b]);
            var fractionPositive = EvaluationInputs.Ratio(positiveCounts[b], counts[b]);
            bins[b] = new CalibrationBin(
                (double)b / CalibrationBinCount, (double)(b + 1) / CalibrationBinCount, counts[b], meanPredicted, fractionPositive);
            ece += (double)counts[b] / scores.Length * Math.Abs(meanPredicted - fractionPositive);
        }

        return (bins, ece);
    }
}
