using System.Text.Json.Serialization;

namespace Pneumonia;

/// <summary>
/// Maps the network's logit to a calibrated probability of PNEUMONIA: p = sigmoid(Slope * logit + Intercept)
/// (Platt scaling). Fitted on the validation split: it removes the over-confidence of a fine-tuned network and the
/// shift that the class-balanced loss puts into its raw scores (the ML core's <c>PlattScaling</c> fits it). The slope is never negative, so a higher logit never
/// means a lower probability, and it is bounded, so a small or separable validation split cannot make every answer
/// 0 or 1.
/// </summary>
public sealed record ProbabilityCalibration(string Method, double Slope, double Intercept)
{
    /// <summary>Largest slope a fit may return (the bundled model's is about 1.3).</summary>
    public const double MaxSlope = 10;

    /// <summary>No change: p = sigmoid(logit).</summary>
    public static ProbabilityCalibration Identity { get; } = new("identity", 1, 0);

    /// <summary>
    /// Why the Platt fit was refused and this calibration fell back to <see cref="Identity"/>, in one sentence; null
    /// after a good fit. A model with a refused fit ranks its validation images no better than chance: callers may
    /// refuse it.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Problem { get; init; }

    public double Probability(double logit) => Sigmoid(Slope * logit + Intercept);

    /// <summary>The logistic function, computed without overflow for any <paramref name="x"/>.</summary>
    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}
