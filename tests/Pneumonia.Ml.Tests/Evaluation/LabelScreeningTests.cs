using Pneumonia.Ml.Evaluation;

namespace Pneumonia.Ml.Tests.Evaluation;

public sealed class LabelScreeningTests
{
    private static readonly LabelScreenRules Rules = new();

    [Fact]
    public void A_batch_with_its_folders_swapped_is_held_and_every_confident_disagreement_is_flagged()
    {
        // 30 normal films labelled PNEUMONIA (the model says 0.02) and 30 pneumonia films labelled NORMAL (0.99).
        ScreenedImage[] images = [.. Enumerable.Repeat(new ScreenedImage(true, 0.02), 30), .. Enumerable.Repeat(new ScreenedImage(false, 0.99), 30)];

        var result = LabelScreening.Assess(images, (0.05, 0.05), Rules);

        Assert.True(result.Hold);
        Assert.Equal(60, result.DisputedCount);
        Assert.All(result.Disputed, Assert.True);
        Assert.Contains("held out of training", result.Reason, StringComparison.Ordinal);
        Assert.Contains("60 of 60 labels", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_correctly_labelled_batch_with_a_few_disputes_is_used_and_its_disputes_flagged()
    {
        // 4 of 40 disputed (10%): above the 5% expected, but neither 3x nor 25 points above it.
        var images = Enumerable.Range(0, 40).Select(i => new ScreenedImage(i % 2 == 0, i < 4 ? (i % 2 == 0 ? 0.01 : 0.99) : (i % 2 == 0 ? 0.9 : 0.1))).ToList();

        var result = LabelScreening.Assess(images, (0.05, 0.05), Rules);

        Assert.False(result.Hold);
        Assert.Equal(4, result.DisputedCount);
        Assert.Equal([true, true, true, true], result.Disputed.Take(4));
        Assert.StartsWith("used for training", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_small_batch_is_not_held_on_too_little_evidence()
    {
        // 2 of 2 disputed: a rate of 100%, but P(X >= 2 | n = 2, p = 0.05) = 0.0025 is not below 0.001.
        ScreenedImage[] images = [new(false, 0.99), new(true, 0.01)];

        var result = LabelScreening.Assess(images, (0.05, 0.05), Rules);

        Assert.Equal(2, result.DisputedCount);
        Assert.Equal(0.0025, result.PValue, 12);
        Assert.False(result.Hold);
    }

    [Fact]
    public void The_binomial_tail_matches_hand_sums()
    {
        Assert.Equal(1, LabelScreening.BinomialUpperTail(0, 10, 0.3));
        // P(X >= 9 | 10, 0.5) = (10 + 1) / 1024.
        Assert.Equal(11 / 1024.0, LabelScreening.BinomialUpperTail(9, 10, 0.5), 14);
        // Far in the tail of a large batch it is a number near zero (summed in log space), not NaN or infinity.
        var tail = LabelScreening.BinomialUpperTail(500, 600, 0.05);
        Assert.InRange(tail, 0, 1e-200);
    }

    [Fact]
    public void Expected_rates_are_read_off_the_validation_roc_curve_and_floored()
    {
        var report = BinaryClassificationEvaluator.Evaluate(
            [0.01, 0.02, 0.03, 0.97, 0.5, 0.99, 0.98, 0.97, 0.04, 0.6], [false, false, false, false, false, true, true, true, true, true], 0.5);

        var (normal, pneumonia) = LabelScreening.ExpectedRates(report, Rules);

        // 1 of 5 normals at >= 0.95; 1 of 5 pneumonias at <= 0.05.
        Assert.Equal(0.2, normal, 12);
        Assert.Equal(0.2, pneumonia, 12);
        var (floorNormal, floorPneumonia) = LabelScreening.ExpectedRates(
            BinaryClassificationEvaluator.Evaluate([0.01, 0.99], [false, true], 0.5), Rules);
        Assert.Equal((0.05, 0.05), (floorNormal, floorPneumonia));
    }
}
