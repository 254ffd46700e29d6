using Pneumonia.Ml.Evaluation;

namespace Pneumonia.Ml.Tests.Evaluation;

public sealed class CombinedCalibrationTests
{
    /// <summary>Means of two members' probabilities for 400 images: positives lean high, negatives low, with overlap.</summary>
    private static (double[] Means, bool[] Labels) Sample(int seed)
    {
        var random = new Random(seed);
        var labels = Enumerable.Range(0, 400).Select(i => i % 3 != 0).ToArray();
        double Member(bool y) => Math.Clamp((y ? 0.7 : 0.3) + (random.NextDouble() - 0.5) * 0.8, 0, 1);
        return ([.. labels.Select(y => (Member(y) + Member(y)) / 2)], labels);
    }

    [Fact]
    public void The_threshold_keeps_the_minimum_sensitivity_on_the_images_it_was_fitted_on()
    {
        var (means, labels) = Sample(seed: 3);

        var combined = CombinedCalibration.Fit(means, labels, minimumSensitivity: 0.95);

        var report = BinaryClassificationEvaluator.Evaluate([.. means.Select(combined.Probability)], labels, combined.Threshold);
        Assert.True(report.Recall >= 0.95, $"recall {report.Recall}");
        Assert.True(report.Specificity > 0.2, $"specificity {report.Specificity}: the threshold should not admit every image");
        Assert.Null(combined.Calibration.Problem);
    }

    [Fact]
    public void Recalibration_keeps_the_ranking_of_the_means()
    {
        var (means, labels) = Sample(seed: 5);
        var combined = CombinedCalibration.Fit(means, labels, minimumSensitivity: 0.95);

        var calibrated = means.Select(combined.Probability).ToArray();

        Assert.Equal(BinaryClassificationEvaluator.Evaluate(means, labels, 0.5).RocAuc, BinaryClassificationEvaluator.Evaluate(calibrated, labels, 0.5).RocAuc, precision: 12);
        Assert.True(combined.Calibration.Slope > 0);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void Means_of_exactly_zero_or_one_get_finite_probabilities(double mean)
    {
        var (means, labels) = Sample(seed: 7);
        double[] withEdges = [.. means, 0.0, 1.0];
        bool[] edgeLabels = [.. labels, false, true];

        var combined = CombinedCalibration.Fit(withEdges, edgeLabels, minimumSensitivity: 0.9);

        Assert.InRange(combined.Probability(mean), 0, 1);
        Assert.True(double.IsFinite(combined.Threshold));
    }

    [Theory]
    [InlineData(-0.01)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void A_mean_outside_zero_to_one_is_refused(double mean)
    {
        var (means, labels) = Sample(seed: 9);
        var combined = CombinedCalibration.Fit(means, labels, minimumSensitivity: 0.9);

        Assert.Throws<ArgumentOutOfRangeException>(() => combined.Probability(mean));
    }
}
