using System.Text.Json;
using Pneumonia.Ml.Evaluation;

namespace Pneumonia.Ml.Tests.Evaluation;

public sealed class BinaryClassificationEvaluatorTests
{
    private const int Precision = 12;

    [Fact]
    public void Hand_computed_example_matches_every_metric()
    {
        var report = BinaryClassificationEvaluator.Evaluate(HandExample.Probabilities, HandExample.Labels, 0.5);

        // Positives: 0.95, 0.85, 0.65, 0.35 (P = 4). Negatives: 0.70, 0.65, 0.25, 0.05 (N = 4).
        Assert.Equal(8, report.Count);
        Assert.Equal(4, report.Positives);
        Assert.Equal(4, report.Negatives);
        Assert.Equal(0.5, report.Threshold);

        // Predicted positive (p >= 0.5): 0.95, 0.85, 0.70, 0.65, 0.65.
        // TP = {0.95, 0.85, 0.65+} = 3, FP = {0.70, 0.65-} = 2, TN = {0.25, 0.05} = 2, FN = {0.35} = 1.
        Assert.Equal(new ConfusionMatrix(TruePositives: 3, FalsePositives: 2, TrueNegatives: 2, FalseNegatives: 1), report.ConfusionMatrix);
        Assert.Equal(5.0 / 8, report.Accuracy, Precision);    // (3 + 2) / 8 = 0.625
        Assert.Equal(3.0 / 5, report.Precision, Precision);   // 3 / (3 + 2) = 0.6
        Assert.Equal(3.0 / 4, report.Recall, Precision);      // 3 / (3 + 1) = 0.75
        Assert.Equal(2.0 / 4, report.Specificity, Precision); // 2 / (2 + 2) = 0.5
        Assert.Equal(2.0 / 3, report.F1, Precision);          // 2 * 0.6 * 0.75 / (0.6 + 0.75) = 0.9 / 1.35

        // ROC-AUC by counting (positive, negative) pairs, a tie counting 1/2:
        //   0.95 beats all 4 -> 4;  0.85 -> 4;  0.65 beats 0.25, 0.05, ties 0.65, loses to 0.70 -> 2.5;  0.35 -> 2.
        //   (4 + 4 + 2.5 + 2) / (4 * 4) = 12.5 / 16 = 0.78125.
        // Same by ranks: ascending ranks 0.05:1 0.25:2 0.35:3 0.65:4.5 0.65:4.5 0.70:6 0.85:7 0.95:8;
        //   positive rank sum = 8 + 7 + 4.5 + 3 = 22.5, U = 22.5 - 4 * 5 / 2 = 12.5.
        Assert.Equal(0.78125, report.RocAuc, Precision);

        // Average precision, thresholds from high to low (R = recall, P = precision; only recall steps count):
        //   0.95: TP1 FP0 R .25 P 1    -> .25 * 1
        //   0.85: TP2 FP0 R .50 P 1    -> .25 * 1
        //   0.70: TP2 FP1 R .50        -> 0
        //   0.65: TP3 FP2 R .75 P 3/5  -> .25 * 3/5
        //   0.35: TP4 FP2 R 1   P 4/6  -> .25 * 2/3
        //   0.25, 0.05: no recall step -> 0
        //   AP = .25 * (1 + 1 + 0.6 + 2/3) = 49/60 = 0.816666...
        Assert.Equal(49.0 / 60, report.PrAuc, Precision);

        // Brier: squared errors .05² .15² .70² .35² .65² .65² .25² .05²
        //   = .0025 + .0225 + .49 + .1225 + .4225 + .4225 + .0625 + .0025 = 1.5475; / 8 = 0.1934375.
        Assert.Equal(0.1934375, report.BrierScore, Precision);

        // Log loss: -(ln .95 + ln .85 + ln .30 + ln .65 + ln .35 + ln .35 + ln .75 + ln .95) / 8
        //   = (2 * 0.0512933 + 0.1625189 + 1.2039728 + 0.4307829 + 2 * 1.0498221 + 0.2876821) / 8
        //   = 4.2871875 / 8 = 0.5358984.
        Assert.Equal(0.5358984, report.LogLoss, 6);

        // ECE, bin = floor(15 p): .95->14 .85->12 .70->10 .65,.65->9 .35->5 .25->3 .05->0.
        //   |mean p - fraction positive| per bin: 14: |.95-1| = .05; 12: .15; 10: .70; 9: |.65-.5| = .15 (2 items);
        //   5: |.35-1| = .65; 3: .25; 0: .05.
        //   ECE = (.05 + .15 + .70 + 2 * .15 + .65 + .25 + .05) / 8 = 2.15 / 8 = 0.26875.
        //   (Not the mean |p - y| = 2.85 / 8: the tied pair's errors cancel inside bin 9.)
        Assert.Equal(0.26875, report.ExpectedCalibrationError, Precision);
        Assert.Equal(15, report.CalibrationBins.Count);
        var bin9 = report.CalibrationBins[9];
        Assert.Equal(9.0 / 15, bin9.Lower, Precision);
        Assert.Equal(10.0 / 15, bin9.Upper, Precision);
        Assert.Equal(2, bin9.Count);
        Assert.Equal(0.65, bin9.MeanPredicted, Precision);
        Assert.Equal(0.5, bin9.FractionPositive, Precision);
        Assert.Equal(new CalibrationBin(1.0 / 15, 2.0 / 15, 0, 0, 0), report.CalibrationBins[1]);
        Assert.Equal(8, report.CalibrationBins.Sum(b => b.Count));

        // ROC points (FPR, TPR) from the strictest threshold down; one point per distinct probability.
        (double Threshold, double Fpr, double Tpr)[] expectedCurve =
        [
            (Math.BitIncrement(1.0), 0, 0),
            (0.95, 0, 0.25), (0.85, 0, 0.5), (0.70, 0.25, 0.5), (0.65, 0.5, 0.75),
            (0.35, 0.5, 1), (0.25, 0.75, 1), (0.05, 1, 1),
        ];
        Assert.Equal(expectedCurve, report.RocCurve.Select(p => (p.Threshold, p.FalsePositiveRate, p.TruePositiveRate)));
    }

    [Fact]
    public void Perfect_separation_gives_auc_one()
    {
        var report = BinaryClassificationEvaluator.Evaluate([0.9, 0.8, 0.3, 0.1], [true, true, false, false], 0.5);

        Assert.Equal(1.0, report.RocAuc);
        Assert.Equal(1.0, report.PrAuc);
        Assert.Equal(1.0, report.Accuracy);
    }

    [Fact]
    public void Inverted_scores_give_auc_zero()
    {
        var report = BinaryClassificationEvaluator.Evaluate([0.9, 0.8, 0.3, 0.1], [false, false, true, true], 0.5);

        Assert.Equal(0.0, report.RocAuc);
    }

    [Fact]
    public void All_equal_scores_give_auc_one_half()
    {
        // Every (positive, negative) pair is a tie worth 1/2; average precision is the prevalence, 2/5.
        var report = BinaryClassificationEvaluator.Evaluate([0.4, 0.4, 0.4, 0.4, 0.4], [true, false, true, false, false], 0.5);

        Assert.Equal(0.5, report.RocAuc);
        Assert.Equal(0.4, report.PrAuc, Precision);
        Assert.Equal([(0.0, 0.0), (1.0, 1.0)], report.RocCurve.Select(p => (p.FalsePositiveRate, p.TruePositiveRate)));
    }

    [Fact]
    public void Undefined_ratios_are_zero_not_nan()
    {
        // No positives and nothing predicted positive: precision, recall, F1 and AUCs have zero denominators.
        var report = BinaryClassificationEvaluator.Evaluate([0.1, 0.2], [false, false], 0.5);

        Assert.Equal(0.0, report.Precision);
        Assert.Equal(0.0, report.Recall);
        Assert.Equal(0.0, report.F1);
        Assert.Equal(0.0, report.RocAuc);
        Assert.Equal(0.0, report.PrAuc);
        Assert.Equal(1.0, report.Specificity);
        Assert.DoesNotContain("NaN", JsonSerializer.Serialize(report), StringComparison.Ordinal);
    }

    [Fact]
    public void Roc_curve_of_10000_items_is_thinned_keeping_endpoints_and_shape()
    {
        var random = new Random(7);
        var labels = new bool[10_000];
        var probabilities = new double[10_000];
        for (var i = 0; i < labels.Length; i++)
        {
            labels[i] = random.NextDouble() < 0.4;
            // Overlapping classes so the curve has a real bend.
            probabilities[i] = Math.Clamp((labels[i] ? 0.6 : 0.4) + ((random.NextDouble() - 0.5) * 0.8), 0, 1);
        }

        var report = BinaryClassificationEvaluator.Evaluate(probabilities, labels, 0.5);
        var curve = report.RocCurve;

        Assert.InRange(curve.Count, 100, BinaryClassificationEvaluator.MaxRocPoints);
        Assert.Equal((0.0, 0.0), (curve[0].FalsePositiveRate, curve[0].TruePositiveRate));
        Assert.Equal((1.0, 1.0), (curve[^1].FalsePositiveRate, curve[^1].TruePositiveRate));
        for (var i = 1; i < curve.Count; i++)
        {
            Assert.True(curve[i].FalsePositiveRate >= curve[i - 1].FalsePositiveRate);
            Assert.True(curve[i].TruePositiveRate >= curve[i - 1].TruePositiveRate);
            Assert.True(curve[i].Threshold < curve[i - 1].Threshold);
        }

        // The thinned curve's trapezoid area still matches the exact AUC: the shape survived.
        var area = 0.0;
        for (var i = 1; i < curve.Count; i++)
        {
            area += (curve[i].FalsePositiveRate - curve[i - 1].FalsePositiveRate)
                * (curve[i].TruePositiveRate + curve[i - 1].TruePositiveRate) / 2;
        }

        Assert.Equal(report.RocAuc, area, 3);
    }

    [Theory]
    [InlineData(new[] { 0.1, 0.2 }, new[] { true }, "same length")]
    [InlineData(new double[0], new bool[0], "empty")]
    [InlineData(new[] { 0.1, double.NaN }, new[] { true, false }, "probabilities[1]")]
    [InlineData(new[] { 1.5 }, new[] { true }, "[0, 1]")]
    [InlineData(new[] { -0.1 }, new[] { true }, "[0, 1]")]
    [InlineData(new[] { double.PositiveInfinity }, new[] { true }, "not a finite probability")]
    public void Invalid_inputs_throw_naming_the_problem(double[] probabilities, bool[] labels, string expectedInMessage)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => BinaryClassificationEvaluator.Evaluate(probabilities, labels, 0.5));

        Assert.Contains(expectedInMessage, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(1.01)]
    public void Invalid_threshold_throws(double threshold)
    {
        var ex = Assert.Throws<ArgumentException>(() => BinaryClassificationEvaluator.Evaluate([0.5], [true], threshold));

        Assert.Equal("threshold", ex.ParamName);
    }

    [Fact]
    public void Report_round_trips_through_system_text_json()
    {
        var report = BinaryClassificationEvaluator.Evaluate(HandExample.Probabilities, HandExample.Labels, 0.5);

        var json = JsonSerializer.Serialize(report);
        var back = JsonSerializer.Deserialize<EvaluationReport>(json);

        Assert.NotNull(back);
        // Lists compare by reference in record equality, so compare them element-wise and the rest with them swapped in.
        Assert.Equal(report.RocCurve, back.RocCurve);
        Assert.Equal(report.CalibrationBins, back.CalibrationBins);
        Assert.Equal(report, back with { RocCurve = report.RocCurve, CalibrationBins = report.CalibrationBins });
    }
}
