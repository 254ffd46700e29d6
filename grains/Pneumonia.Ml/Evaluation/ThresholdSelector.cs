namespace Pneumonia.Ml.Evaluation;

/// <summary>
/// Chooses the operating threshold of the classifier. Use it on the VALIDATION split only: a threshold chosen on
/// the test split makes the test metrics optimistic, so the test split must only ever be evaluated at a
/// threshold fixed beforehand.
/// </summary>
public static class ThresholdSelector
{
    /// <summary>
    /// The lowest threshold either method returns: the smallest double above 0. A threshold of 0 would call every image
    /// PNEUMONIA, even one whose probability is exactly 0; with this floor probability 0 is always NORMAL.
    /// </summary>
    public const double LowestThreshold = double.Epsilon;

    /// <summary>
    /// Returns the highest threshold whose sensitivity (recall) on these data is at least
    /// <paramref name="minimumSensitivity"/>: missing pneumonia costs more than a false alarm, and among the
    /// thresholds that keep enough sensitivity the highest gives the best specificity.
    /// </summary>
    /// <param name="probabilities">Validation-split P(pneumonia) per item, each finite and in [0, 1].</param>
    /// <param name="labels">Validation-split labels, <c>true</c> = PNEUMONIA.</param>
    /// <param name="minimumSensitivity">Required recall, in (0, 1].</param>
    /// <returns>
    /// One of the distinct probabilities, raised to <see cref="LowestThreshold"/> if that is 0; items with probability
    /// &gt;= it are predicted PNEUMONIA.
    /// </returns>
    /// <exception cref="ArgumentException">Invalid inputs, a target outside (0, 1], or no positive items.</exception>
    public static double ForMinimumSensitivity(
        IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, double minimumSensitivity = 0.95)
    {
        EvaluationInputs.Validate(probabilities, labels);
        if (!(minimumSensitivity > 0.0 && minimumSensitivity <= 1.0))
        {
            throw new ArgumentException(
                $"minimumSensitivity = {minimumSensitivity} must be in (0, 1].", nameof(minimumSensitivity));
        }

        var (scores, sortedLabels) = EvaluationInputs.SortAscending(probabilities, labels);
        var positives = sortedLabels.Count(y => y);
        if (positives == 0)
        {
            throw new ArgumentException("labels contain no positive (PNEUMONIA) item, so sensitivity is undefined.", nameof(labels));
        }

        // Lowering the threshold past a group of tied scores admits the whole group, so walk groups from the top.
        var truePositives = 0;
        var end = scores.Length - 1;
        while (end >= 0)
        {
            var start = end;
            while (start > 0 && scores[start - 1] == scores[end])
            {
                start--;
            }

            for (var i = start; i <= end; i++)
            {
                if (sortedLabels[i]) truePositives++;
            }

            if ((double)truePositives / positives >= minimumSensitivity)
            {
                return Math.Max(scores[end], LowestThreshold);
            }

            end = start - 1;
        }

        // Unreachable: at the lowest score every positive is admitted and recall is 1.
        return Math.Max(scores[0], LowestThreshold);
    }

    /// <summary>
    /// Like <see cref="ForMinimumSensitivity"/>, but placed in the middle (in log-odds) of the range of thresholds that
    /// give the same validation specificity. On a well-separated validation split the highest qualifying threshold
    /// sits right under the positives it must keep, so any shift between validation and real images costs
    /// sensitivity first; the midpoint keeps the validation operating point (the same specificity, at least the
    /// required sensitivity) with the widest margin on both sides.
    /// </summary>
    public static double ForMinimumSensitivityWithMargin(
        IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, double minimumSensitivity = 0.95)
    {
        var highest = ForMinimumSensitivity(probabilities, labels, minimumSensitivity);
        // Lowering the threshold keeps the specificity until it reaches the highest negative below it.
        var negativesBelow = probabilities.Where((p, i) => !labels[i] && p < highest).ToList();
        var lowest = negativesBelow.Count == 0 ? probabilities.Min() : Math.BitIncrement(negativesBelow.Max());
        if (lowest >= highest) return highest;
        const double Epsilon = 1e-12;
        static double Logit(double p) => Math.Log(p / (1 - p));
        var middle = (Logit(Math.Clamp(lowest, Epsilon, 1 - Epsilon)) + Logit(Math.Clamp(highest, Epsilon, 1 - Epsilon))) / 2;
        return 1 / (1 + Math.Exp(-middle));
    }
}
