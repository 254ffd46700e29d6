using Pneumonia.Ml.Evaluation;

namespace Pneumonia.Ml.Tests.Evaluation;

public sealed class PairedComparisonTests
{
    // Worked by hand. Positives P1..P3, negatives N1..N3.
    //            P1   P2   P3  |  N1   N2   N3
    //   A:      0.9  0.6  0.4  | 0.5  0.3  0.2
    //   B:      0.8  0.7  0.5  | 0.6  0.5  0.1     (P3 and N2 tie at 0.5 in B: half a win)
    // Placement values (fraction of the other class beaten, ties 1/2):
    //   A: V10 = [1, 1, 2/3]   V01 = [2/3, 1, 1]          AUC_A = 8/9
    //   B: V10 = [1, 1, 1/2]   V01 = [2/3, 5/6, 1]        AUC_B = 5/6      B - A = -1/18
    // Sample (co)variances, denominator 2:
    //   S10: var A = 1/27, var B = 1/12, cov = 1/18  -> (1/27 + 1/12 - 2/18) / 3 = (1/108) / 3 = 1/324
    //   S01: var A = 1/27, var B = 1/36, cov = 1/36  -> (1/27 + 1/36 - 2/36) / 3 = (1/108) / 3 = 1/324
    // Var(B - A) = 2/324 = 1/162, SE = 1/sqrt(162); z = (-1/18) sqrt(162) = -1/sqrt(2); p = 2 Q(1/sqrt 2) = erfc(1/2).
    private static readonly double[] HandA = [0.9, 0.6, 0.4, 0.5, 0.3, 0.2];
    private static readonly double[] HandB = [0.8, 0.7, 0.5, 0.6, 0.5, 0.1];
    private static readonly bool[] HandLabels = [true, true, true, false, false, false];

    [Fact]
    public void DeLong_matches_the_hand_worked_example()
    {
        var result = PairedComparison.DeLong(HandA, HandB, HandLabels);

        Assert.Equal(8.0 / 9, result.AucA, 14);
        Assert.Equal(5.0 / 6, result.AucB, 14);
        Assert.Equal(-1.0 / 18, result.Difference, 14);
        Assert.Equal(1 / Math.Sqrt(162), result.StandardError, 14);
        Assert.Equal(0.4795001221869535, result.PValue, 12); // erfc(0.5)
        Assert.Equal(-1.0 / 18 - (1.959963984540054 / Math.Sqrt(162)), result.Lower95, 14);
        Assert.Equal(-1.0 / 18 + (1.959963984540054 / Math.Sqrt(162)), result.Upper95, 14);
    }

    [Fact]
    public void DeLong_is_antisymmetric_in_the_two_classifiers()
    {
        var forward = PairedComparison.DeLong(HandA, HandB, HandLabels);
        var backward = PairedComparison.DeLong(HandB, HandA, HandLabels);

        Assert.Equal(-forward.Difference, backward.Difference, 14);
        Assert.Equal(forward.StandardError, backward.StandardError, 14);
        Assert.Equal(forward.PValue, backward.PValue, 14);
    }

    [Theory]
    [InlineData(1, 30, 25)]
    [InlineData(2, 200, 90)]
    [InlineData(3, 7, 41)]
    public void DeLong_equals_the_direct_O_mn_definition_on_tied_random_scores(int seed, int positives, int negatives)
    {
        // Scores rounded to one decimal so that many ties occur within and across classes; B correlates with A.
        var random = new Random(seed);
        var labels = Enumerable.Range(0, positives + negatives).Select(i => i < positives).OrderBy(_ => random.Next()).ToArray();
        var a = labels.Select(y => Math.Round(random.NextDouble() + (y ? 0.4 : 0), 1)).ToArray();
        var b = a.Select(s => Math.Round(s + ((random.NextDouble() - 0.5) * 0.6), 1)).ToArray();

        var fast = PairedComparison.DeLong(a, b, labels);
        var direct = DirectDeLong(a, b, labels);

        Assert.Equal(direct.AucA, fast.AucA, 12);
        Assert.Equal(direct.AucB, fast.AucB, 12);
        Assert.Equal(direct.StandardError, fast.StandardError, 12);
        Assert.Equal(direct.AucA, PairedComparison.RocAuc(a, labels), 12);
    }

    [Fact]
    public void DeLong_of_identical_classifiers_is_no_difference_with_p_one()
    {
        var result = PairedComparison.DeLong(HandA, HandA, HandLabels);

        Assert.Equal(0, result.Difference);
        Assert.Equal(0, result.StandardError);
        Assert.Equal(1, result.PValue);
        Assert.Equal((0.0, 0.0), (result.Lower95, result.Upper95));
    }

    [Fact]
    public void DeLong_refuses_inputs_it_cannot_judge()
    {
        Assert.Contains("at least 2", Assert.Throws<ArgumentException>(() =>
            PairedComparison.DeLong([0.9, 0.1, 0.2], [0.8, 0.2, 0.3], [true, false, false])).Message, StringComparison.Ordinal);
        Assert.Contains("scoresB has 2 scores", Assert.Throws<ArgumentException>(() =>
            PairedComparison.DeLong(HandA, [0.1, 0.2], HandLabels)).Message, StringComparison.Ordinal);
        Assert.Contains("scoresA[1] = NaN", Assert.Throws<ArgumentException>(() =>
            PairedComparison.DeLong([0.9, double.NaN, 0.4, 0.5, 0.3, 0.2], HandB, HandLabels)).Message, StringComparison.Ordinal);
    }

    [Theory]
    // b, c, exact p = min(1, 2 * sum_{i <= min(b,c)} C(b+c, i) / 2^(b+c)), summed by hand or with exact integers.
    [InlineData(1, 5, 0.21875)]               // 2 * (1 + 6) / 64
    [InlineData(2, 9, 0.0654296875)]          // 2 * (1 + 11 + 55) / 2048
    [InlineData(0, 18, 7.62939453125e-06)]    // 2 / 2^18: the "18 normal X-rays flipped, none back"
    [InlineData(7, 7, 1.0)]                   // more than 1 before the min
    [InlineData(0, 0, 1.0)]                   // no discordant pair: no evidence
    [InlineData(10, 20, 0.09873714670538902)] // exact integer sum (Python fractions)
    [InlineData(1000, 1100, 0.030720707864242296)] // 2^2100 underflows a double: summed relative to the largest term
    public void McNemar_is_the_exact_binomial_test_on_the_discordant_pairs(int onlyA, int onlyB, double expected)
    {
        // Build paired outcomes with 50 concordant items of each kind around the discordant ones.
        var correctA = new List<bool>();
        var correctB = new List<bool>();
        void Add(int count, bool a, bool b)
        {
            for (var i = 0; i < count; i++)
            {
                correctA.Add(a);
                correctB.Add(b);
            }
        }

        Add(50, true, true);
        Add(onlyA, true, false);
        Add(50, false, false);
        Add(onlyB, false, true);

        var result = PairedComparison.McNemar(correctA, correctB);

        Assert.Equal(onlyA, result.OnlyARight);
        Assert.Equal(onlyB, result.OnlyBRight);
        Assert.Equal(expected, result.PValue, expected * 1e-10);
        Assert.Equal(result.PValue, PairedComparison.McNemar(correctB, correctA).PValue);
    }

    [Fact]
    public void McNemar_refuses_unpaired_outcomes()
    {
        Assert.Equal("correctB", Assert.Throws<ArgumentException>(() => PairedComparison.McNemar([true], [true, false])).ParamName);
    }

    [Theory]
    // Published: Newcombe (1998), Stat Med 17:857-872, Table I, method 3 (Wilson score), to 4 decimals.
    [InlineData(81, 263, 0.2553, 0.3662)]
    [InlineData(15, 148, 0.0624, 0.1605)]
    [InlineData(0, 20, 0.0000, 0.1611)]
    [InlineData(1, 29, 0.0061, 0.1718)]
    // By hand: 0/10 -> upper = (z²/n) / (1 + z²/n) = 0.384146 / 1.384146; 5/10 -> 0.5 ± 0.2634.
    [InlineData(0, 10, 0.0000, 0.2775)]
    [InlineData(5, 10, 0.2366, 0.7634)]
    [InlineData(10, 10, 0.7225, 1.0000)]
    public void ProportionInterval_is_the_Wilson_score_interval(int successes, int trials, double lower, double upper)
    {
        var interval = PairedComparison.ProportionInterval(successes, trials);

        Assert.Equal(lower, interval.Lower, 4);
        Assert.Equal(upper, interval.Upper, 4);
    }

    [Fact]
    public void ProportionInterval_keeps_the_ends_exact_and_refuses_impossible_counts()
    {
        Assert.Equal((0.0, 1.0), PairedComparison.ProportionInterval(0, 0));
        Assert.Equal(0.0, PairedComparison.ProportionInterval(0, 1000).Lower);
        Assert.Equal(1.0, PairedComparison.ProportionInterval(1000, 1000).Upper);
        Assert.Throws<ArgumentException>(() => PairedComparison.ProportionInterval(3, 2));
        Assert.Throws<ArgumentException>(() => PairedComparison.ProportionInterval(-1, 2));
    }

    [Theory]
    [InlineData(1.959963984540054, 0.025)]
    [InlineData(3, 0.0013498980316300957)]
    [InlineData(5, 2.866515718791946e-07)]
    [InlineData(6, 9.865876450377012e-10)]
    [InlineData(10, 7.619853024160593e-24)]
    [InlineData(-1.959963984540054, 0.975)]
    [InlineData(0, 0.5)]
    public void The_normal_tail_matches_erfc(double x, double expected)
    {
        // Expected values are erfc(x / sqrt 2) / 2 from a reference library.
        Assert.Equal(expected, PairedComparison.NormalUpperTail(x), Math.Abs(expected) * 1e-9);
    }

    [Fact]
    public void Bootstrap_is_deterministic_for_a_seed_and_depends_on_it()
    {
        var (a, b, labels) = SyntheticScores(seed: 5, count: 300);
        BootstrapInterval Run(int seed) => PairedComparison.PairedBootstrap(
            labels.Length, labels, idx => PairedComparison.RocAuc(a, labels, idx), idx => PairedComparison.RocAuc(b, labels, idx), 200, seed);

        var first = Run(11);

        Assert.Equal(first, Run(11));
        Assert.NotEqual(first, Run(12));
        Assert.Equal(200, first.Resamples);
        Assert.Equal(PairedComparison.RocAuc(b, labels) - PairedComparison.RocAuc(a, labels), first.Observed, 14);
        Assert.True(first.Lower95 <= first.Difference && first.Difference <= first.Upper95);
    }

    [Fact]
    public void Bootstrap_of_identical_classifiers_is_exactly_zero()
    {
        var (a, _, labels) = SyntheticScores(seed: 6, count: 120);

        var result = PairedComparison.PairedBootstrap(
            labels.Length, labels, idx => PairedComparison.RocAuc(a, labels, idx), idx => PairedComparison.RocAuc(a, labels, idx), 300, 1);

        Assert.Equal(new BootstrapInterval(0, 0, 0, 300), result);
    }

    [Fact]
    public void Bootstrap_resamples_keep_the_class_counts_and_hand_both_statistics_the_same_items()
    {
        var labels = Enumerable.Range(0, 50).Select(i => i % 5 == 0).ToArray(); // 10 positives, 40 negatives
        var seenByA = new List<int[]>();
        var seenByB = new List<int[]>();

        PairedComparison.PairedBootstrap(labels.Length, labels,
            idx => { seenByA.Add(idx); return idx.Count(i => labels[i]); },
            idx => { seenByB.Add(idx); return idx.Count(i => labels[i]); }, 50, 3);

        Assert.Equal(51, seenByA.Count); // the full data once, then 50 resamples
        Assert.All(seenByA, idx => Assert.Equal(10, idx.Count(i => labels[i])));
        Assert.All(seenByA, idx => Assert.Equal(50, idx.Length));
        Assert.Equal(seenByA, seenByB);
        Assert.Contains(seenByA.Skip(1), idx => idx.Distinct().Count() < idx.Length); // drawn with replacement
    }

    [Fact]
    public void Bootstrap_and_DeLong_agree_on_the_uncertainty_of_an_AUC_difference()
    {
        // Two correlated classifiers on 400 items: the two methods estimate the same sampling distribution, so their
        // 95% intervals should have similar widths and centres (a loose sanity check, not a tolerance of either).
        var (a, b, labels) = SyntheticScores(seed: 9, count: 400);

        var delong = PairedComparison.DeLong(a, b, labels);
        var bootstrap = PairedComparison.PairedBootstrap(labels.Length, labels,
            idx => PairedComparison.RocAuc(a, labels, idx), idx => PairedComparison.RocAuc(b, labels, idx), 1000, 2);

        var ratio = (bootstrap.Upper95 - bootstrap.Lower95) / (delong.Upper95 - delong.Lower95);
        Assert.InRange(ratio, 0.8, 1.25);
        Assert.InRange(bootstrap.Difference, delong.Lower95, delong.Upper95);
        Assert.Equal(delong.Difference, bootstrap.Observed, 12);
    }

    [Fact]
    public void Bootstrap_refuses_inputs_it_cannot_resample()
    {
        Func<int[], double> zero = _ => 0;
        Assert.Contains("at least 1 PNEUMONIA and 1 NORMAL", Assert.Throws<ArgumentException>(() =>
            PairedComparison.PairedBootstrap(2, [true, true], zero, zero, 10, 0)).Message, StringComparison.Ordinal);
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => PairedComparison.PairedBootstrap(3, [true, false], zero, zero, 10, 0)).ParamName);
        Assert.Equal("resamples", Assert.Throws<ArgumentException>(() => PairedComparison.PairedBootstrap(2, [true, false], zero, zero, 0, 0)).ParamName);
        Assert.Throws<InvalidOperationException>(() => PairedComparison.PairedBootstrap(2, [true, false], zero, _ => double.NaN, 10, 0));
    }

    private static (double[] A, double[] B, bool[] Labels) SyntheticScores(int seed, int count)
    {
        var random = new Random(seed);
        var labels = Enumerable.Range(0, count).Select(_ => random.NextDouble() < 0.6).ToArray();
        var shared = labels.Select(y => random.NextDouble() + (y ? 0.5 : 0)).ToArray();
        var a = shared.Select(s => s + (0.4 * random.NextDouble())).ToArray();
        var b = shared.Select(s => s + (0.4 * random.NextDouble())).ToArray();
        return (a, b, labels);
    }

    /// <summary>DeLong's variance straight from its definition: every positive compared with every negative.</summary>
    private static (double AucA, double AucB, double StandardError) DirectDeLong(double[] a, double[] b, bool[] labels)
    {
        var pos = Enumerable.Range(0, labels.Length).Where(i => labels[i]).ToArray();
        var neg = Enumerable.Range(0, labels.Length).Where(i => !labels[i]).ToArray();
        static double Psi(double x, double y) => x > y ? 1 : x == y ? 0.5 : 0;
        double[] V10(double[] s) => pos.Select(i => neg.Average(j => Psi(s[i], s[j]))).ToArray();
        double[] V01(double[] s) => neg.Select(j => pos.Average(i => Psi(s[i], s[j]))).ToArray();
        static double Cov(double[] x, double[] y) => x.Zip(y, (p, q) => (p - x.Average()) * (q - y.Average())).Sum() / (x.Length - 1);
        double[] a10 = V10(a), b10 = V10(b), a01 = V01(a), b01 = V01(b);
        var variance = ((Cov(a10, a10) + Cov(b10, b10) - (2 * Cov(a10, b10))) / pos.Length)
                     + ((Cov(a01, a01) + Cov(b01, b01) - (2 * Cov(a01, b01))) / neg.Length);
        return (a10.Average(), b10.Average(), Math.Sqrt(variance));
    }
}
