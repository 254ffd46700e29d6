namespace Pneumonia.Ml.Evaluation;

/// <summary>Validation and the single sort shared by the evaluator and the threshold selector.</summary>
internal static class EvaluationInputs
{
    public static void Validate(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        if (probabilities.Count != labels.Count)
        {
            throw new ArgumentException(
                $"probabilities and labels must have the same length (got {probabilities.Count} and {labels.Count}).",
                nameof(labels));
        }

        if (probabilities.Count == 0)
        {
            throw new ArgumentException("probabilities and labels are empty: at least one item is needed.", nameof(probabilities));
        }

        for (var i = 0; i < probabilities.Count; i++)
        {
            var p = probabilities[i];
            // Written so that NaN fails too.
            if (!(p >= 0.0 && p <= 1.0))
            {
                throw new ArgumentException(
                    $"probabilities[{i}] = {p} is not a finite probability in [0, 1].", nameof(probabilities));
            }
        }
    }

    /// <summary>Copies and sorts by probability, ascending; tied items keep no particular order.</summary>
    public static (double[] Scores, bool[] Labels) SortAscending(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        var scores = probabilities.ToArray();
        var sortedLabels = labels.ToArray();
        Array.Sort(scores, sortedLabels);
        return (scores, sortedLabels);
    }

    public static double Ratio(double numerator, double denominator) => denominator == 0 ? 0 : numerator / denominator;
}
