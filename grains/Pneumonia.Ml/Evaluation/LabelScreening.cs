using System.Globalization;

namespace Pneumonia.Ml.Evaluation;

/// <summary>How the label screen judges an upload batch.</summary>
/// <param name="DisputeProbability">A NORMAL label is disputed when the model gives PNEUMONIA at least this probability; a PNEUMONIA label when it gives at most 1 - this.</param>
/// <param name="MinimumExpectedRate">Floor on each class's expected dispute rate: validation images are easier than new ones, so their rate understates it.</param>
/// <param name="HoldFactor">A batch is held when its dispute rate is at least this many times the expected rate ...</param>
/// <param name="HoldMargin">... and at least this much above it ...</param>
/// <param name="HoldSignificance">... and a binomial test says so with a p-value under this.</param>
public sealed record LabelScreenRules(
    double DisputeProbability = 0.95,
    double MinimumExpectedRate = 0.05,
    double HoldFactor = 3,
    double HoldMargin = 0.25,
    double HoldSignificance = 1e-3);

/// <summary>One labelled image as the production model saw it.</summary>
public sealed record ScreenedImage(bool LabelledPneumonia, double Probability);

/// <summary>The screen of one batch: which images are disputed, how many were expected to be, and whether to hold the batch.</summary>
public sealed record LabelScreenResult(IReadOnlyList<bool> Disputed, int DisputedCount, double ExpectedRate, double PValue, bool Hold, string Reason);

/// <summary>
/// The label-quality screen of uploads: the production model scores every labelled image; a label it strongly
/// disputes is flagged, and a batch with far more disputed labels than correctly labelled images show (a zip with its
/// NORMAL and PNEUMONIA folders swapped, a mislabelled export) is held out of training until a person confirms it.
/// The expected rate per class comes from the model's own validation report, floored, because new images are harder.
/// </summary>
public static class LabelScreening
{
    /// <summary>
    /// The rates at which a correctly labelled NORMAL and PNEUMONIA image is disputed, read off the validation ROC
    /// curve of the model: NORMAL images with probability at least p are its false-positive rate at p; PNEUMONIA images
    /// with probability at most 1 - p are one minus its true-positive rate just above 1 - p.
    /// </summary>
    public static (double Normal, double Pneumonia) ExpectedRates(EvaluationReport validation, LabelScreenRules rules)
    {
        ArgumentNullException.ThrowIfNull(validation);
        ArgumentNullException.ThrowIfNull(rules);
        var curve = validation.RocCurve;
        // The curve's points run from high thresholds to low; take the nearest point on the safe side of each cut.
        var normal = curve.Where(p => p.Threshold >= rules.DisputeProbability).Select(p => p.FalsePositiveRate).DefaultIfEmpty(0).Max();
        var pneumonia = 1 - curve.Where(p => p.Threshold > 1 - rules.DisputeProbability).Select(p => p.TruePositiveRate).DefaultIfEmpty(1).Max();
        return (Math.Max(normal, rules.MinimumExpectedRate), Math.Max(pneumonia, rules.MinimumExpectedRate));
    }

    public static LabelScreenResult Assess(IReadOnlyList<ScreenedImage> images, (double Normal, double Pneumonia) expectedRates, LabelScreenRules rules)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(rules);
        var disputed = images
            .Select(i => i.LabelledPneumonia ? i.Probability <= 1 - rules.DisputeProbability : i.Probability >= rules.DisputeProbability)
            .ToArray();
        var count = disputed.Count(d => d);
        if (images.Count == 0)
        {
            return new LabelScreenResult(disputed, 0, 0, 1, Hold: false, "no labelled images to screen");
        }

        var expected = images.Average(i => i.LabelledPneumonia ? expectedRates.Pneumonia : expectedRates.Normal);
        var rate = count / (double)images.Count;
        var pValue = BinomialUpperTail(count, images.Count, expected);
        var hold = rate >= rules.HoldFactor * expected && rate >= expected + rules.HoldMargin && pValue < rules.HoldSignificance;
        var figures = string.Create(CultureInfo.InvariantCulture,
            $"the production model strongly disputes {count} of {images.Count} labels ({rate:P0}); correctly labelled images show about {expected:P0} (binomial p = {pValue:0.###e0})");
        var reason = hold
            ? $"held out of training until a person confirms the labels: {figures}. Check that the NORMAL and PNEUMONIA folders (or the label field) are not swapped, then POST /dataset/batches/{{batch_id}}/confirm"
            : $"used for training: {figures}";
        return new LabelScreenResult(disputed, count, expected, pValue, hold, reason);
    }

    /// <summary>P(X >= k) for X ~ Binomial(n, p), summed in log space so large batches neither overflow nor underflow to nonsense.</summary>
    internal static double BinomialUpperTail(int k, int n, double p)
    {
        if (k <= 0) return 1;
        if (p <= 0) return 0;
        if (p >= 1) return 1;
        var total = 0.0;
        for (var x = k; x <= n; x++)
        {
            total += Math.Exp(LogChoose(n, x) + x * Math.Log(p) + (n - x) * Math.Log(1 - p));
        }

        return Math.Min(1, total);
    }

    private static double LogChoose(int n, int k)
    {
        double result = 0;
        for (var i = 1; i <= k; i++)
        {
            result += Math.Log(n - k + i) - Math.Log(i);
        }

        return result;
    }
}
