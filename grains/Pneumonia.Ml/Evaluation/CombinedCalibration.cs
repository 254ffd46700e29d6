using Pneumonia.Ml.Serving;

namespace Pneumonia.Ml.Evaluation;

/// <summary>
/// The calibration and threshold of a combination of answers for one image (an ensemble's members, an image and its
/// mirror): the mean of their calibrated probabilities is a new score. It needs its own calibration, because a mean
/// of probabilities is less extreme than its parts, and its own threshold, because no member's threshold was chosen
/// for it. Both are fitted as training fits a model's (<see cref="PlattScaling"/> on the logit of the score, the
/// threshold by <see cref="ThresholdSelector.ForMinimumSensitivityWithMargin"/>), on validation images only.
/// </summary>
public sealed record CombinedCalibration(ProbabilityCalibration Calibration, double Threshold)
{
    // Members answer in float precision, so a mean can be exactly 0 or 1; the clamp keeps its logit finite.
    private const double Epsilon = 1e-9;

    /// <param name="meanProbabilities">Each validation image's mean probability over the combined answers.</param>
    /// <param name="labels">True for PNEUMONIA.</param>
    /// <param name="minimumSensitivity">The sensitivity the threshold must keep on these images (the members' card's).</param>
    public static CombinedCalibration Fit(IReadOnlyList<double> meanProbabilities, IReadOnlyList<bool> labels, double minimumSensitivity)
    {
        ArgumentNullException.ThrowIfNull(meanProbabilities);
        double[] logits = [.. meanProbabilities.Select(Logit)];
        var calibration = PlattScaling.Fit(logits, labels);
        var threshold = ThresholdSelector.ForMinimumSensitivityWithMargin([.. logits.Select(calibration.Probability)], labels, minimumSensitivity);
        return new(calibration, threshold);
    }

    /// <summary>The calibrated probability of PNEUMONIA for a mean of the combined answers.</summary>
    public double Probability(double meanProbability) => Calibration.Probability(Logit(meanProbability));

    private static double Logit(double probability)
    {
        if (!(probability is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(probability), probability, "a mean of probabilities lies in [0, 1]");
        var p = Math.Clamp(probability, Epsilon, 1 - Epsilon);
        return Math.Log(p / (1 - p));
    }
}
