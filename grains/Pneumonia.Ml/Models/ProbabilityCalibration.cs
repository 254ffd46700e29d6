namespace Pneumonia.Ml.Models;

/// <summary>
/// Maps the network's logit to a calibrated probability of PNEUMONIA: p = sigmoid(Slope * logit + Intercept)
/// (Platt scaling). Fitted on the validation split: it removes the over-confidence of a fine-tuned network and the
/// shift that the class-balanced loss puts into its raw scores.
/// </summary>
public sealed record ProbabilityCalibration(string Method, double Slope, double Intercept)
{
    /// <summary>No change: p = sigmoid(logit).</summary>
    public static ProbabilityCalibration Identity { get; } = new("identity", 1, 0);

    public double Probability(double logit) => Sigmoid(Slope * logit + Intercept);

    /// <summary>
    /// Maximum-likelihood Platt scaling by Newton's method on the mean log loss (convex in slope and intercept),
    /// with a tiny ridge term so that perfectly separated data still give finite values.
    /// </summary>
    public static ProbabilityCalibration FitPlatt(IReadOnlyList<double> logits, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.Count != labels.Count) throw new ArgumentException("logits and labels differ in length");
        if (logits.Count == 0) throw new ArgumentException("no logits to calibrate on");
        const double Ridge = 1e-3;
        double slope = 1, intercept = 0;
        var n = logits.Count;
        for (var iteration = 0; iteration < 100; iteration++)
        {
            double gA = Ridge * (slope - 1), gB = 0, hAA = Ridge, hAB = 0, hBB = 1e-9;
            for (var i = 0; i < n; i++)
            {
                var z = logits[i];
                var p = Sigmoid(slope * z + intercept);
                var residual = (p - (labels[i] ? 1 : 0)) / n;
                var curvature = p * (1 - p) / n;
                gA += residual * z;
                gB += residual;
                hAA += curvature * z * z;
                hAB += curvature * z;
                hBB += curvature;
            }
            var determinant = hAA * hBB - hAB * hAB;
            if (determinant <= 0) break;
            var stepA = (hBB * gA - hAB * gB) / determinant;
            var stepB = (hAA * gB - hAB * gA) / determinant;
            slope -= stepA;
            intercept -= stepB;
            if (Math.Abs(stepA) + Math.Abs(stepB) < 1e-10) break;
        }
        return new ProbabilityCalibration("platt", slope, intercept);
    }

    private static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}
