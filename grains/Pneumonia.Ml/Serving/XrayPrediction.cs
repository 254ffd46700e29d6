namespace Pneumonia.Ml.Serving;

/// <summary>One classified X-ray.</summary>
/// <param name="Label">"PNEUMONIA" or "NORMAL".</param>
/// <param name="Confidence">Calibrated probability of the returned label.</param>
/// <param name="Probability">Calibrated probability of PNEUMONIA.</param>
/// <param name="Threshold">The model's decision threshold on <paramref name="Probability"/>.</param>
public sealed record XrayPrediction(string Label, double Confidence, double Probability, double Threshold, string ModelVersion)
{
    /// <summary>Whether the image looks like the model's training X-rays; null when the model's card has no detector.</summary>
    public DistributionCheck? Distribution { get; init; }

    public const string Pneumonia = "PNEUMONIA";
    public const string Normal = "NORMAL";

    /// <summary>
    /// The answer for a calibrated probability: PNEUMONIA exactly when <paramref name="probability"/> &gt;=
    /// <paramref name="threshold"/>. The threshold must lie in (0, 1], so probability 0 is always NORMAL and probability
    /// 1 always PNEUMONIA: no answer can contradict its own probability.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The probability is not in [0, 1] or the threshold not in (0, 1].</exception>
    public static XrayPrediction From(double probability, double threshold, string modelVersion)
    {
        if (!(probability >= 0 && probability <= 1))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "a calibrated probability must be in [0, 1]");
        if (!(threshold > 0 && threshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "a decision threshold must be in (0, 1]: 0 would call every image PNEUMONIA");
        var isPneumonia = probability >= threshold;
        return new XrayPrediction(isPneumonia ? Pneumonia : Normal, isPneumonia ? probability : 1 - probability,
            probability, threshold, modelVersion);
    }
}
