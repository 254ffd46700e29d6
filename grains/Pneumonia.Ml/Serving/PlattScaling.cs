namespace Pneumonia.Ml.Serving;

/// <summary>Fits the <see cref="ProbabilityCalibration"/> of a model on its validation logits.</summary>
public static class PlattScaling
{
    /// <summary>
    /// Platt (1999) scaling as he defined it: maximum likelihood of sigmoid(a z + b) against the smoothed targets
    /// (N+ + 1) / (N+ + 2) for PNEUMONIA and 1 / (N- + 2) for NORMAL, which keeps the fit finite on separable data,
    /// with the slope a constrained to [0, <see cref="ProbabilityCalibration.MaxSlope"/>]. The log loss is jointly convex in (a, b), so its
    /// minimum over b for each a is convex in a: golden-section search over a, with the best b for each a found by
    /// bisection (the mean of the probabilities is monotone in b). When the logits are not positively correlated with
    /// the targets the best slope is 0 (a constant probability: no information) and the fit is refused: the result is
    /// then <see cref="ProbabilityCalibration.Identity"/> with <see cref="ProbabilityCalibration.Problem"/> saying why.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ, no items, or a logit is not finite.</exception>
    public static ProbabilityCalibration Fit(IReadOnlyList<double> logits, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.Count != labels.Count) throw new ArgumentException($"logits and labels differ in length ({logits.Count} and {labels.Count})", nameof(labels));
        if (logits.Count == 0) throw new ArgumentException("no logits to calibrate on", nameof(logits));
        for (var i = 0; i < logits.Count; i++)
        {
            if (!double.IsFinite(logits[i])) throw new ArgumentException($"logits[{i}] = {logits[i]} is not finite", nameof(logits));
        }

        var z = logits.ToArray();
        var positives = labels.Count(y => y);
        var negatives = labels.Count - positives;
        var targets = labels.Select(y => y ? (positives + 1.0) / (positives + 2.0) : 1.0 / (negatives + 2.0)).ToArray();

        // d loss / d a at a = 0 (where the best b makes every probability the mean target) is -cov(z, t): the slope
        // can only help when the logits rise with the targets.
        double meanZ = z.Average(), meanT = targets.Average(), covariance = 0;
        for (var i = 0; i < z.Length; i++) covariance += (z[i] - meanZ) * (targets[i] - meanT);
        if (!(covariance > 0))
        {
            var problem = positives == 0 || negatives == 0
                ? $"the validation split has {positives} PNEUMONIA and {negatives} NORMAL images: calibration needs both"
                : "the logits do not rise with the validation labels (best Platt slope <= 0): the model ranks these images no better than chance";
            return ProbabilityCalibration.Identity with { Problem = problem };
        }

        var invPhi = (Math.Sqrt(5) - 1) / 2;
        double low = 0, high = ProbabilityCalibration.MaxSlope;
        var c = high - (invPhi * (high - low));
        var d = low + (invPhi * (high - low));
        double fc = ProfileLoss(z, targets, c).Loss, fd = ProfileLoss(z, targets, d).Loss;
        while (high - low > 1e-9)
        {
            if (fc <= fd)
            {
                (high, d, fd) = (d, c, fc);
                c = high - (invPhi * (high - low));
                fc = ProfileLoss(z, targets, c).Loss;
            }
            else
            {
                (low, c, fc) = (c, d, fd);
                d = low + (invPhi * (high - low));
                fd = ProfileLoss(z, targets, d).Loss;
            }
        }

        var slope = (low + high) / 2;
        return new ProbabilityCalibration("platt", slope, ProfileLoss(z, targets, slope).Intercept);
    }

    /// <summary>The best intercept for a fixed slope, and the mean log loss there.</summary>
    private static (double Intercept, double Loss) ProfileLoss(double[] z, double[] targets, double slope)
    {
        // mean(sigmoid(slope z + b)) rises from 0 to 1 with b; the loss is least where it equals the mean target.
        var meanTarget = targets.Average();
        double MeanProbability(double b)
        {
            double sum = 0;
            foreach (var value in z) sum += ProbabilityCalibration.Sigmoid(slope * value + b);
            return sum / z.Length;
        }

        var spread = slope * z.Max(Math.Abs) + 50;
        double low = -spread, high = spread;
        for (var iteration = 0; iteration < 200 && high - low > 1e-12 * Math.Max(1, Math.Abs(low)); iteration++)
        {
            var middle = (low + high) / 2;
            if (MeanProbability(middle) < meanTarget) low = middle; else high = middle;
        }

        var intercept = (low + high) / 2;
        double loss = 0;
        for (var i = 0; i < z.Length; i++)
        {
            // Cross-entropy with soft targets from the logit x: softplus(x) - t x, exact for any x.
            var x = slope * z[i] + intercept;
            loss += Math.Max(x, 0) + Math.Log(1 + Math.Exp(-Math.Abs(x))) - (targets[i] * x);
        }

        return (intercept, loss / z.Length);
    }
}
