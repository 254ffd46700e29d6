namespace Pneumonia.Ml.Models;

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

    public static XrayPrediction From(double probability, double threshold, string modelVersion)
    {
        var isPneumonia = probability >= threshold;
        return new XrayPrediction(isPneumonia ? Pneumonia : Normal, isPneumonia ? probability : 1 - probability,
            probability, threshold, modelVersion);
    }
}
