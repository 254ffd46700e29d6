namespace Pneumonia.Ml.Evaluation;

/// <summary>
/// Paired comparison of two classifiers scored on the SAME images (same order, same labels): classifier A is the
/// incumbent (production), B the challenger (candidate), and every difference is B - A. Pairing matters: both models
/// err on the same hard images, so the difference is far more precise than two separate intervals suggest.
/// </summary>
public static class PairedComparison
{
    /// <summary>The two-sided 95% normal quantile, Φ⁻¹(0.975).</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// DeLong, DeLong &amp; Clarke-Pearson (1988) test for the difference of two correlated ROC-AUCs, computed with the
    /// midrank algorithm of Sun &amp; Xu (2014) in O(n log n). Ties count 1/2 (the Mann-Whitney AUC).
    /// </summary>
    /// <param name="scoresA">Scores of classifier A (higher = more likely PNEUMONIA); any finite values.</param>
    /// <param name="scoresB">Scores of classifier B on the same items in the same order.</param>
    /// <param name="labels">True labels, <c>true</c> = PNEUMONIA (positive).</param>
    /// <returns>
    /// Both AUCs, B - A, its standard error, the normal 95% interval of B - A and the two-sided p-value of
    /// "the AUCs are equal". With a standard error of exactly 0 (e.g. identical classifiers) the interval is the point
    /// and the p-value is 1 when the difference is 0, else 0.
    /// </returns>
    /// <exception cref="ArgumentException">Lengths differ, a score is not finite, or fewer than 2 items of a class.</exception>
    public static AucComparison DeLong(IReadOnlyList<double> scoresA, IReadOnlyList<double> scoresB, IReadOnlyList<bool> labels)
    {
        ValidateScores(scoresA, labels, nameof(scoresA));
        ValidateScores(scoresB, labels, nameof(scoresB));
        var (positives, negatives) = SplitByLabel(labels, minimumPerClass: 2);
        var a = AucComponents.Of(scoresA, positives, negatives);
        var b = AucComponents.Of(scoresB, positives, negatives);
        int m = positives.Length, n = negatives.Length;

        // Var(AUC_B - AUC_A) = S10/m + S01/n with S the covariance matrices of the placement values (DeLong eq. 5).
        var variance = (Covariance(a.Positive, a.Positive) + Covariance(b.Positive, b.Positive) - (2 * Covariance(a.Positive, b.Positive))) / m
                     + (Covariance(a.Negative, a.Negative) + Covariance(b.Negative, b.Negative) - (2 * Covariance(a.Negative, b.Negative))) / n;
        var standardError = Math.Sqrt(Math.Max(variance, 0));
        var difference = b.Auc - a.Auc;
        var pValue = standardError > 0
            ? Math.Min(1, 2 * NormalUpperTail(Math.Abs(difference) / standardError))
            : difference == 0 ? 1 : 0;
        return new AucComparison(a.Auc, b.Auc, difference, standardError,
            difference - (Z95 * standardError), difference + (Z95 * standardError), pValue);
    }

    /// <summary>
    /// Exact two-sided McNemar test: under "both classifiers are equally often right", each discordant pair is a fair
    /// coin, so p = min(1, 2 P(X &lt;= min(b, c))) with X ~ Bin(b + c, 1/2). No discordant pair gives p = 1.
    /// </summary>
    /// <param name="correctA">Per item: was classifier A right.</param>
    /// <param name="correctB">Per item: was classifier B right (same items, same order).</param>
    /// <returns>b = A right and B wrong, c = A wrong and B right, and the p-value.</returns>
    /// <exception cref="ArgumentException">Lengths differ.</exception>
    public static McNemarResult McNemar(IReadOnlyList<bool> correctA, IReadOnlyList<bool> correctB)
    {
        ArgumentNullException.ThrowIfNull(correctA);
        ArgumentNullException.ThrowIfNull(correctB);
        if (correctA.Count != correctB.Count)
        {
            throw new ArgumentException(
                $"correctA and correctB must describe the same items (got {correctA.Count} and {correctB.Count}).", nameof(correctB));
        }

        int onlyA = 0, onlyB = 0;
        for (var i = 0; i < correctA.Count; i++)
        {
            if (correctA[i] && !correctB[i]) onlyA++;
            else if (!correctA[i] && correctB[i]) onlyB++;
        }

        return new McNemarResult(onlyA, onlyB, Math.Min(1, 2 * BinomialHalfLowerTail(onlyA + onlyB, Math.Min(onlyA, onlyB))));
    }

    /// <summary>
    /// Paired, label-stratified bootstrap of statisticB - statisticA: each resample draws, with replacement, as many
    /// positive items from the positives and as many negative items from the negatives as the data hold (so every
    /// resample has both classes and the class mix of the data), and hands the SAME index array to both statistics.
    /// Deterministic for a given <paramref name="seed"/>.
    /// </summary>
    /// <param name="count">Number of items; the statistics receive indices in [0, count).</param>
    /// <param name="labels">True labels of the items, <c>true</c> = PNEUMONIA; defines the strata.</param>
    /// <param name="statisticA">A's statistic on the items at the given indices (repeats included).</param>
    /// <param name="statisticB">B's statistic on the same indices.</param>
    /// <param name="resamples">Number of bootstrap resamples, at least 1 (2,000 or more for a 95% interval).</param>
    /// <param name="seed">Seed of the resampling; the same seed gives the same result.</param>
    /// <returns>
    /// The mean resampled difference and its percentile 95% interval (2.5% and 97.5% quantiles, linear interpolation
    /// between order statistics); <see cref="BootstrapInterval.Observed"/> is the difference on the data themselves.
    /// </returns>
    /// <exception cref="ArgumentException">Bad count, resamples, labels without both classes.</exception>
    /// <exception cref="InvalidOperationException">A statistic returned a value that is not finite.</exception>
    public static BootstrapInterval PairedBootstrap(
        int count, IReadOnlyList<bool> labels, Func<int[], double> statisticA, Func<int[], double> statisticB, int resamples, int seed)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(statisticA);
        ArgumentNullException.ThrowIfNull(statisticB);
        if (labels.Count != count)
        {
            throw new ArgumentException($"count = {count} but there are {labels.Count} labels: give one label per item.", nameof(labels));
        }

        if (resamples < 1)
        {
            throw new ArgumentException($"resamples = {resamples} must be at least 1 (2,000 or more for a 95% interval).", nameof(resamples));
        }

        var (positives, negatives) = SplitByLabel(labels, minimumPerClass: 1);
        var observed = Difference(Enumerable.Range(0, count).ToArray(), statisticA, statisticB, "the full data");

        var random = new Random(seed);
        var differences = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            var indices = new int[count];
            for (var i = 0; i < positives.Length; i++) indices[i] = positives[random.Next(positives.Length)];
            for (var i = 0; i < negatives.Length; i++) indices[positives.Length + i] = negatives[random.Next(negatives.Length)];
            differences[r] = Difference(indices, statisticA, statisticB, $"resample {r}");
        }

        var mean = differences.Average();
        Array.Sort(differences);
        return new BootstrapInterval(mean, Quantile(differences, 0.025), Quantile(differences, 0.975), resamples) { Observed = observed };
    }

    /// <summary>
    /// Wilson score 95% interval of a proportion (e.g. sensitivity = true positives / positives). Unlike the normal
    /// (Wald) interval it stays inside [0, 1] and is not of zero width at 0 or n successes. No trials gives [0, 1].
    /// </summary>
    /// <exception cref="ArgumentException">Negative counts, or more successes than trials.</exception>
    public static (double Lower, double Upper) ProportionInterval(int successes, int trials)
    {
        if (trials < 0 || successes < 0 || successes > trials)
        {
            throw new ArgumentException(
                $"successes = {successes} and trials = {trials}: need 0 <= successes <= trials.", nameof(successes));
        }

        if (trials == 0) return (0, 1);
        var p = (double)successes / trials;
        const double Z2 = Z95 * Z95;
        var denominator = 1 + (Z2 / trials);
        var centre = (p + (Z2 / (2.0 * trials))) / denominator;
        var halfWidth = Z95 / denominator * Math.Sqrt((p * (1 - p) / trials) + (Z2 / (4.0 * trials * trials)));
        // At 0 and n successes the bound is exactly 0 (resp. 1) in exact arithmetic; keep it so.
        return (successes == 0 ? 0 : Math.Max(0, centre - halfWidth), successes == trials ? 1 : Math.Min(1, centre + halfWidth));
    }

    /// <summary>
    /// Mann-Whitney ROC-AUC (ties count 1/2) of <paramref name="scores"/> over the items at <paramref name="indices"/>
    /// (repeats count again, as in a bootstrap resample); all items when null. The statistic to hand
    /// <see cref="PairedBootstrap"/>: <c>idx =&gt; PairedComparison.RocAuc(scoresA, labels, idx)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ, a score is not finite, or the items lack a class.</exception>
    public static double RocAuc(IReadOnlyList<double> scores, IReadOnlyList<bool> labels, IReadOnlyList<int>? indices = null)
    {
        ValidateScores(scores, labels, nameof(scores));
        var selected = indices ?? Enumerable.Range(0, labels.Count).ToArray();
        var positives = selected.Where(i => labels[i]).ToArray();
        var negatives = selected.Where(i => !labels[i]).ToArray();
        if (positives.Length == 0 || negatives.Length == 0)
        {
            throw new ArgumentException(
                $"ROC-AUC needs both classes (got {positives.Length} positive and {negatives.Length} negative items).", nameof(labels));
        }

        return AucComponents.Of(scores, positives, negatives).Auc;
    }

    /// <summary>P(Z &gt; x) for a standard normal Z, accurate to about 1e-15 absolute and 1e-9 relative.</summary>
    internal static double NormalUpperTail(double x)
    {
        if (double.IsNaN(x)) throw new ArgumentException("x is NaN.", nameof(x));
        if (x < 0) return 1 - NormalUpperTail(-x);
        const double LogSqrtTwoPi = 0.91893853320467274178;
        if (x < 5)
        {
            // Marsaglia (2004): Φ(x) = 1/2 + φ(x) (x + x³/3 + x⁵/(3·5) + ...), summed until it stops changing.
            double sum = x, term = x, previous = 0, square = x * x;
            for (var i = 1; sum != previous; )
            {
                previous = sum;
                i += 2;
                term *= square / i;
                sum = previous + term;
            }

            return 0.5 - (sum * Math.Exp((-0.5 * square) - LogSqrtTwoPi));
        }

        // Laplace's continued fraction for the Mills ratio, evaluated from the bottom: converges fast for x >= 5.
        var fraction = x;
        for (var k = 80; k >= 1; k--) fraction = x + (k / fraction);
        return Math.Exp((-0.5 * x * x) - LogSqrtTwoPi) / fraction;
    }

    /// <summary>P(X &lt;= k) for X ~ Bin(n, 1/2), k &lt;= n / 2, without underflow for large n.</summary>
    internal static double BinomialHalfLowerTail(int n, int k)
    {
        // The terms C(n, i) / 2^n grow with i up to n / 2: sum them relative to the largest (term k), walking down
        // with C(n, i - 1) / C(n, i) = i / (n - i + 1), then scale by term k computed in logs.
        double relative = 1, ratio = 1;
        for (var i = k; i >= 1; i--)
        {
            ratio *= i / (double)(n - i + 1);
            relative += ratio;
        }

        double logTermK = -n * Math.Log(2);
        for (var i = 1; i <= k; i++) logTermK += Math.Log((n - i + 1) / (double)i);
        return relative * Math.Exp(logTermK);
    }

    private static double Difference(int[] indices, Func<int[], double> statisticA, Func<int[], double> statisticB, string where)
    {
        // Each statistic gets its own copy so that one sorting or changing the array cannot bias the other.
        var a = statisticA((int[])indices.Clone());
        var b = statisticB((int[])indices.Clone());
        if (!double.IsFinite(a) || !double.IsFinite(b))
        {
            throw new InvalidOperationException($"a statistic returned a value that is not finite on {where} (A = {a}, B = {b}).");
        }

        return b - a;
    }

    /// <summary>Hyndman-Fan type 7 quantile (numpy's and R's default) of sorted values.</summary>
    private static double Quantile(double[] sorted, double q)
    {
        var h = (sorted.Length - 1) * q;
        var below = (int)Math.Floor(h);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((h - below) * (sorted[above] - sorted[below]));
    }

    private static double Covariance(double[] x, double[] y)
    {
        double meanX = x.Average(), meanY = y.Average(), sum = 0;
        for (var i = 0; i < x.Length; i++) sum += (x[i] - meanX) * (y[i] - meanY);
        return sum / (x.Length - 1);
    }

    private static void ValidateScores(IReadOnlyList<double> scores, IReadOnlyList<bool> labels, string name)
    {
        ArgumentNullException.ThrowIfNull(scores, name);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Count != labels.Count)
        {
            throw new ArgumentException($"{name} has {scores.Count} scores but there are {labels.Count} labels: give one score per labelled item.", name);
        }

        for (var i = 0; i < scores.Count; i++)
        {
            if (!double.IsFinite(scores[i])) throw new ArgumentException($"{name}[{i}] = {scores[i]} is not finite.", name);
        }
    }

    private static (int[] Positives, int[] Negatives) SplitByLabel(IReadOnlyList<bool> labels, int minimumPerClass)
    {
        var positives = Enumerable.Range(0, labels.Count).Where(i => labels[i]).ToArray();
        var negatives = Enumerable.Range(0, labels.Count).Where(i => !labels[i]).ToArray();
        if (positives.Length < minimumPerClass || negatives.Length < minimumPerClass)
        {
            throw new ArgumentException(
                $"need at least {minimumPerClass} PNEUMONIA and {minimumPerClass} NORMAL items (got {positives.Length} and {negatives.Length}).",
                nameof(labels));
        }

        return (positives, negatives);
    }

    /// <summary>
    /// One classifier's AUC and DeLong placement values: for each positive the fraction of negatives it outscores
    /// (V10), for each negative the fraction of positives that outscore it (V01), ties 1/2. From midranks (Sun &amp; Xu):
    /// V10_i = (rank of i among all - rank among positives) / n, V01_j = 1 - (rank among all - rank among negatives) / m.
    /// </summary>
    private sealed record AucComponents(double Auc, double[] Positive, double[] Negative)
    {
        public static AucComponents Of(IReadOnlyList<double> scores, int[] positives, int[] negatives)
        {
            int m = positives.Length, n = negatives.Length;
            var x = positives.Select(i => scores[i]).ToArray();
            var y = negatives.Select(i => scores[i]).ToArray();
            var all = Midranks([.. x, .. y]);
            var rankX = Midranks(x);
            var rankY = Midranks(y);
            var v10 = new double[m];
            var v01 = new double[n];
            double rankSum = 0;
            for (var i = 0; i < m; i++)
            {
                rankSum += all[i];
                v10[i] = (all[i] - rankX[i]) / n;
            }

            for (var j = 0; j < n; j++) v01[j] = 1 - ((all[m + j] - rankY[j]) / m);
            var auc = (rankSum - (m * (m + 1.0) / 2)) / ((double)m * n);
            return new AucComponents(auc, v10, v01);
        }

        /// <summary>1-based ranks in ascending order, tied values sharing the mean of their ranks.</summary>
        private static double[] Midranks(double[] values)
        {
            var order = Enumerable.Range(0, values.Length).ToArray();
            Array.Sort(values.ToArray(), order);
            var ranks = new double[values.Length];
            for (var start = 0; start < order.Length; )
            {
                var end = start;
                while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]]) end++;
                var midrank = ((start + end) / 2.0) + 1;
                for (var k = start; k <= end; k++) ranks[order[k]] = midrank;
                start = end + 1;
            }

            return ranks;
        }
    }
}

/// <summary>Result of <see cref="PairedComparison.DeLong"/>; every difference is B - A.</summary>
/// <param name="AucA">ROC-AUC of classifier A.</param>
/// <param name="AucB">ROC-AUC of classifier B.</param>
/// <param name="Difference">AucB - AucA.</param>
/// <param name="StandardError">DeLong standard error of the difference.</param>
/// <param name="Lower95">Difference - 1.96 standard errors.</param>
/// <param name="Upper95">Difference + 1.96 standard errors.</param>
/// <param name="PValue">Two-sided p-value of "AucA = AucB".</param>
public sealed record AucComparison(
    double AucA, double AucB, double Difference, double StandardError, double Lower95, double Upper95, double PValue);

/// <summary>Result of <see cref="PairedComparison.McNemar"/>.</summary>
/// <param name="OnlyARight">Items A got right and B got wrong (b).</param>
/// <param name="OnlyBRight">Items B got right and A got wrong (c).</param>
/// <param name="PValue">Exact two-sided p-value of "A and B are right equally often".</param>
public sealed record McNemarResult(int OnlyARight, int OnlyBRight, double PValue);

/// <summary>Result of <see cref="PairedComparison.PairedBootstrap"/>; every difference is B - A.</summary>
/// <param name="Difference">Mean of the resampled differences.</param>
/// <param name="Lower95">2.5% percentile of the resampled differences.</param>
/// <param name="Upper95">97.5% percentile of the resampled differences.</param>
/// <param name="Resamples">Number of resamples drawn.</param>
public sealed record BootstrapInterval(double Difference, double Lower95, double Upper95, int Resamples)
{
    /// <summary>The difference on the data themselves (every item once), the usual point estimate.</summary>
    public double Observed { get; init; }
}
