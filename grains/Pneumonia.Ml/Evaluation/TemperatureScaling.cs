namespace Pneumonia.Ml.Evaluation;

/// <summary>
/// Temperature scaling (Guo et al., 2017): one scalar T &gt; 0 that divides the logit, fitted on the VALIDATION
/// split to make P(pneumonia) = sigmoid(logit / T) calibrated. Dividing by a positive T keeps the ranking, so
/// ROC-AUC and PR-AUC do not change; only calibration (Brier, log loss, ECE) does.
/// </summary>
public static class TemperatureScaling
{
    /// <summary>Smallest temperature the fit can return.</summary>
    public const double MinTemperature = 0.05;

    /// <summary>Largest temperature the fit can return.</summary>
    public const double MaxTemperature = 20.0;

    private const double Tolerance = 1e-7;

    /// <summary>
    /// Finds T in [<see cref="MinTemperature"/>, <see cref="MaxTemperature"/>] minimising the mean binary log loss
    /// of sigmoid(logit / T), by golden-section search over log T. The loss is convex in 1 / T, hence unimodal in
    /// log T, so the search is exact up to its tolerance, needs no derivatives and is deterministic; T ends at a
    /// bound when the optimum lies beyond it (e.g. perfectly separable logits want T -&gt; 0).
    /// </summary>
    /// <param name="logits">Uncalibrated logits of PNEUMONIA, each finite.</param>
    /// <param name="labels">Labels, <c>true</c> = PNEUMONIA.</param>
    /// <exception cref="ArgumentException">Lengths differ, no items, or a logit is not finite.</exception>
    public static double Fit(IReadOnlyList<double> logits, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.Count != labels.Count)
        {
            throw new ArgumentException(
                $"logits and labels must have the same length (got {logits.Count} and {labels.Count}).", nameof(labels));
        }

        if (logits.Count == 0)
        {
            throw new ArgumentException("logits and labels are empty: at least one item is needed.", nameof(logits));
        }

        for (var i = 0; i < logits.Count; i++)
        {
            if (!double.IsFinite(logits[i]))
            {
                throw new ArgumentException($"logits[{i}] = {logits[i]} is not finite.", nameof(logits));
            }
        }

        var z = logits.ToArray();
        var y = labels.ToArray();
        double Loss(double logT) => MeanLogLoss(z, y, Math.Exp(-logT));

        var invPhi = (Math.Sqrt(5) - 1) / 2;
        double a = Math.Log(MinTemperature), b = Math.Log(MaxTemperature);
        var c = b - (invPhi * (b - a));
        var d = a + (invPhi * (b - a));
        double fc = Loss(c), fd = Loss(d);
        while (b - a > Tolerance)
        {
            if (fc <= fd)
            {
                (b, d, fd) = (d, c, fc);
                c = b - (invPhi * (b - a));
                fc = Loss(c);
            }
            else
            {
                (a, c, fc) = (c, d, fd);
                d = a + (invPhi * (b - a));
                fd = Loss(d);
            }
        }

        return Math.Exp((a + b) / 2);
    }

    /// <summary>Calibrated P(pneumonia) = sigmoid(<paramref name="logit"/> / <paramref name="temperature"/>).</summary>
    /// <exception cref="ArgumentException">The temperature is not a finite positive number.</exception>
    public static double Apply(double logit, double temperature)
    {
        if (!(temperature > 0 && double.IsFinite(temperature)))
        {
            throw new ArgumentException($"temperature = {temperature} must be finite and > 0.", nameof(temperature));
        }

        return Sigmoid(logit / temperature);
    }

    internal static double Sigmoid(double x)
    {
        // Two branches so exp never overflows for large |x|.
        if (x >= 0)
        {
            return 1 / (1 + Math.Exp(-x));
        }

        var e = Math.Exp(x);
        return e / (1 + e);
    }

    /// <summary>Mean of softplus(x) - y x with x = z / T: the exact log loss, stable for any logit.</summary>
    private static double MeanLogLoss(double[] z, bool[] y, double inverseTemperature)
    {
        double sum = 0;
        for (var i = 0; i < z.Length; i++)
        {
            var x = z[i] * inverseTemperature;
            var softplus = Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x)));
            sum += y[i] ? softplus - x : softplus;
        }

        return sum / z.Length;
    }
}
