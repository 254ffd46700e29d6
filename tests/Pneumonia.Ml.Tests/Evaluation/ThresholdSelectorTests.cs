using Pneumonia.Ml.Evaluation;

namespace Pneumonia.Ml.Tests.Evaluation;

public sealed class ThresholdSelectorTests
{
    // Hand example, positives at 0.95, 0.85, 0.65, 0.35 (P = 4). Recall when predicting p >= t:
    //   t = 0.95 -> 1/4, 0.85 -> 2/4, 0.70 -> 2/4, 0.65 -> 3/4, 0.35 -> 4/4, then stays 1.
    [Theory]
    [InlineData(0.95, 0.35)] // needs 4/4: highest such threshold is 0.35
    [InlineData(1.0, 0.35)]
    [InlineData(0.75, 0.65)] // 3/4 reached first at 0.65
    [InlineData(0.5, 0.85)]  // 2/4 reached at 0.85 (0.70 also gives 2/4 but is lower)
    [InlineData(0.25, 0.95)]
    public void Returns_the_highest_threshold_meeting_the_target(double target, double expected)
    {
        var threshold = ThresholdSelector.ForMinimumSensitivity(HandExample.Probabilities, HandExample.Labels, target);

        Assert.Equal(expected, threshold);
        var report = BinaryClassificationEvaluator.Evaluate(HandExample.Probabilities, HandExample.Labels, threshold);
        Assert.True(report.Recall >= target);
    }

    [Fact]
    public void Default_target_is_95_percent_sensitivity()
    {
        var random = new Random(11);
        var labels = Enumerable.Range(0, 2_000).Select(_ => random.NextDouble() < 0.5).ToArray();
        var probabilities = labels.Select(y => Math.Clamp((y ? 0.65 : 0.35) + (random.NextDouble() - 0.5), 0, 1)).ToArray();

        var threshold = ThresholdSelector.ForMinimumSensitivity(probabilities, labels);

        Assert.True(BinaryClassificationEvaluator.Evaluate(probabilities, labels, threshold).Recall >= 0.95);
        // The next distinct probability above it no longer meets the target: it is the highest.
        var next = probabilities.Where(p => p > threshold).Min();
        Assert.True(BinaryClassificationEvaluator.Evaluate(probabilities, labels, next).Recall < 0.95);
    }

    [Fact]
    public void Throws_when_there_are_no_positives()
    {
        var ex = Assert.Throws<ArgumentException>(() => ThresholdSelector.ForMinimumSensitivity([0.2, 0.7], [false, false]));

        Assert.Contains("no positive", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Throws_for_a_target_outside_zero_one(double target)
    {
        var ex = Assert.Throws<ArgumentException>(
            () => ThresholdSelector.ForMinimumSensitivity(HandExample.Probabilities, HandExample.Labels, target));

        Assert.Equal("minimumSensitivity", ex.ParamName);
    }

    [Fact]
    public void Margin_threshold_sits_mid_way_in_log_odds_across_the_specificity_plateau()
    {
        // Negatives 0.1, 0.2, 0.9; positives 0.5, 0.6, 0.7, 0.95. For sensitivity >= 0.75 the highest threshold is
        // 0.6 (admits 0.6, 0.7, 0.95 and the negative 0.9: specificity 2/3). Lowering it keeps specificity 2/3 until
        // just above 0.2, so the midpoint is sigmoid((logit 0.2 + logit 0.6) / 2) = sigmoid((-1.3863 + 0.4055) / 2)
        // = sigmoid(-0.4904) = 0.3798; there sensitivity is 4/4 and specificity still 2/3.
        double[] p = [0.1, 0.2, 0.9, 0.5, 0.6, 0.7, 0.95];
        bool[] y = [false, false, false, true, true, true, true];

        var threshold = ThresholdSelector.ForMinimumSensitivityWithMargin(p, y, 0.75);

        Assert.Equal(0.3798, threshold, 4);
        var report = BinaryClassificationEvaluator.Evaluate(p, y, threshold);
        Assert.Equal(1.0, report.Recall);
        Assert.Equal(2.0 / 3, report.Specificity, 9);
    }
}

