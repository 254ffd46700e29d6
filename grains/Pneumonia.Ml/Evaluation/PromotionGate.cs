using System.Globalization;

namespace Pneumonia.Ml.Evaluation;

/// <summary>How much worse than production a candidate may be on the gate set, and how much evidence the gate needs.</summary>
/// <param name="MaxAucDrop">The lower end of the 95% interval (DeLong) of candidate - production ROC-AUC may not fall below minus this.</param>
/// <param name="MaxSensitivityDrop">Sensitivity (each model at its own threshold) may drop by at most this, and not significantly (McNemar on the PNEUMONIA images).</param>
/// <param name="MaxSpecificityDrop">Likewise for specificity, on the NORMAL images.</param>
/// <param name="MaxBrierIncrease">The Brier score may rise by at most this.</param>
/// <param name="MaxEceIncrease">The expected calibration error may rise by at most this.</param>
/// <param name="MinimumPerClass">Fewer gate images of either class than this is "not enough evidence", never a pass.</param>
/// <param name="SignificanceLevel">A drop with a McNemar p-value under this refuses the candidate whatever its size.</param>
public sealed record GateTolerances(
    double MaxAucDrop = 0.005,
    double MaxSensitivityDrop = 0.02,
    double MaxSpecificityDrop = 0.02,
    double MaxBrierIncrease = 0.01,
    double MaxEceIncrease = 0.02,
    int MinimumPerClass = 100,
    double SignificanceLevel = 0.05);

/// <summary>One model's answers on the gate set: calibrated probabilities of PNEUMONIA, image by image, and its threshold.</summary>
public sealed record ScoredModel(IReadOnlyList<double> Probabilities, double Threshold);

public enum GateOutcome
{
    Passed,
    Refused,
    NotEnoughEvidence,
}

/// <summary>One compared figure (see <see cref="PromotionGate"/>): difference = candidate - production.</summary>
public sealed record GateFigureResult(
    string Name, double Candidate, double Production, double Difference, double? Lower95, double? Upper95, double? PValue,
    bool HigherIsBetter, double Tolerance, bool Passed, string Method);

public sealed record GateComparison(GateOutcome Outcome, int Normal, int Pneumonia, IReadOnlyList<GateFigureResult> Figures, string Summary);

/// <summary>
/// Both models on perturbed copies of the gate images (noise, compression, exposure: the shifts real films bring),
/// pooled. The clean gate set is near-separable for a model trained on its distribution, so a candidate whose
/// threshold moved shows it on clean images rarely and on shifted ones plainly.
/// </summary>
/// <param name="Description">Which perturbations, for the figures' method text.</param>
public sealed record PerturbedView(ScoredModel Candidate, ScoredModel Production, IReadOnlyList<bool> Labels, string Description);

/// <summary>
/// The promotion gate's statistics: a candidate and production scored on the same images (paired), each at its own
/// threshold, compared on ranking (ROC-AUC, DeLong interval), on the decisions users get (sensitivity and
/// specificity, exact McNemar on each class) and on calibration (Brier score with a paired bootstrap interval, ECE).
/// A candidate passes only when no figure is worse than its tolerance and the gate set holds enough images of each
/// class to tell; a significant drop in sensitivity or specificity refuses it even within the tolerance.
/// </summary>
public static class PromotionGate
{
    private const int BootstrapResamples = 1000;
    private const int BootstrapSeed = 20261130;

    /// <param name="perturbed">The same comparison on perturbed copies of the gate images: its ROC-AUC, sensitivity and specificity must pass too.</param>
    public static GateComparison Compare(
        ScoredModel candidate, ScoredModel production, IReadOnlyList<bool> labels, GateTolerances tolerances, PerturbedView? perturbed = null)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(production);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(tolerances);
        if (candidate.Probabilities.Count != labels.Count || production.Probabilities.Count != labels.Count)
            throw new ArgumentException("both models must be scored on every gate image, in the same order");

        var pneumonia = labels.Count(l => l);
        var normal = labels.Count - pneumonia;
        // DeLong's variance needs two images of each class; fewer cannot be judged at all.
        if (pneumonia < 2 || normal < 2)
        {
            return new GateComparison(GateOutcome.NotEnoughEvidence, normal, pneumonia, [],
                Invariant($"not enough evidence: the gate set has {normal} NORMAL and {pneumonia} PNEUMONIA images, and at least {tolerances.MinimumPerClass} of each are needed"));
        }

        var figures = new List<GateFigureResult>
        {
            RocAuc(candidate, production, labels, tolerances),
            ClassRate("sensitivity", candidate, production, labels, positives: true, tolerances.MaxSensitivityDrop, tolerances.SignificanceLevel),
            ClassRate("specificity", candidate, production, labels, positives: false, tolerances.MaxSpecificityDrop, tolerances.SignificanceLevel),
            Brier(candidate, production, labels, tolerances.MaxBrierIncrease),
            Ece(candidate, production, labels, tolerances.MaxEceIncrease),
        };
        if (perturbed is not null && perturbed.Labels.Count(l => l) >= 2 && perturbed.Labels.Count(l => !l) >= 2)
        {
            GateFigureResult Perturbed(GateFigureResult figure) =>
                figure with { Name = figure.Name + " (perturbed)", Method = $"{figure.Method}; on {perturbed.Labels.Count} perturbed copies of the gate images ({perturbed.Description})" };
            figures.Add(Perturbed(RocAuc(perturbed.Candidate, perturbed.Production, perturbed.Labels, tolerances)));
            figures.Add(Perturbed(ClassRate("sensitivity", perturbed.Candidate, perturbed.Production, perturbed.Labels, positives: true, tolerances.MaxSensitivityDrop, tolerances.SignificanceLevel)));
            figures.Add(Perturbed(ClassRate("specificity", perturbed.Candidate, perturbed.Production, perturbed.Labels, positives: false, tolerances.MaxSpecificityDrop, tolerances.SignificanceLevel)));
        }

        if (normal < tolerances.MinimumPerClass || pneumonia < tolerances.MinimumPerClass)
        {
            return new GateComparison(GateOutcome.NotEnoughEvidence, normal, pneumonia, figures,
                Invariant($"not enough evidence: the gate set has {normal} NORMAL and {pneumonia} PNEUMONIA images, and at least {tolerances.MinimumPerClass} of each are needed to tell"));
        }

        var failed = figures.Where(f => !f.Passed).ToList();
        return failed.Count == 0
            ? new GateComparison(GateOutcome.Passed, normal, pneumonia, figures,
                Invariant($"passes the gate on {normal} NORMAL and {pneumonia} PNEUMONIA gate images: ") + string.Join(", ", figures.Select(Describe)))
            : new GateComparison(GateOutcome.Refused, normal, pneumonia, figures,
                Invariant($"refused by the gate on {normal} NORMAL and {pneumonia} PNEUMONIA gate images: ") + string.Join(", ", failed.Select(Describe)));
    }

    private static GateFigureResult RocAuc(ScoredModel candidate, ScoredModel production, IReadOnlyList<bool> labels, GateTolerances tolerances)
    {
        // DeLong's A and B are production and candidate, so its difference is candidate - production.
        var auc = PairedComparison.DeLong(production.Probabilities, candidate.Probabilities, labels);
        var passed = auc.Lower95 >= -tolerances.MaxAucDrop;
        return new GateFigureResult("roc_auc", auc.AucB, auc.AucA, auc.Difference, auc.Lower95, auc.Upper95, auc.PValue,
            HigherIsBetter: true, tolerances.MaxAucDrop, passed, "DeLong 95% interval of the difference");
    }

    private static GateFigureResult ClassRate(
        string name, ScoredModel candidate, ScoredModel production, IReadOnlyList<bool> labels, bool positives, double maxDrop, double alpha)
    {
        var indices = Enumerable.Range(0, labels.Count).Where(i => labels[i] == positives).ToArray();
        bool Correct(ScoredModel model, int i) => (model.Probabilities[i] >= model.Threshold) == positives;
        var correctProduction = indices.Select(i => Correct(production, i)).ToArray();
        var correctCandidate = indices.Select(i => Correct(candidate, i)).ToArray();
        var rateProduction = correctProduction.Count(c => c) / (double)indices.Length;
        var rateCandidate = correctCandidate.Count(c => c) / (double)indices.Length;
        var difference = rateCandidate - rateProduction;
        var mcnemar = PairedComparison.McNemar(correctProduction, correctCandidate);
        var significantlyWorse = difference < 0 && mcnemar.PValue < alpha;
        var passed = difference >= -maxDrop && !significantlyWorse;
        return new GateFigureResult(name, rateCandidate, rateProduction, difference, null, null, mcnemar.PValue,
            HigherIsBetter: true, maxDrop, passed, Invariant($"each model at its own threshold; exact McNemar ({mcnemar.OnlyARight} images right only for production, {mcnemar.OnlyBRight} only for the candidate)"));
    }

    private static GateFigureResult Brier(ScoredModel candidate, ScoredModel production, IReadOnlyList<bool> labels, double maxIncrease)
    {
        double BrierOf(ScoredModel model, int[] sample) =>
            sample.Average(i => Math.Pow(model.Probabilities[i] - (labels[i] ? 1 : 0), 2));
        var all = Enumerable.Range(0, labels.Count).ToArray();
        var (brierCandidate, brierProduction) = (BrierOf(candidate, all), BrierOf(production, all));
        var interval = PairedComparison.PairedBootstrap(labels.Count, labels, s => BrierOf(production, s), s => BrierOf(candidate, s), BootstrapResamples, BootstrapSeed);
        var difference = brierCandidate - brierProduction;
        return new GateFigureResult("brier", brierCandidate, brierProduction, difference, interval.Lower95, interval.Upper95, null,
            HigherIsBetter: false, maxIncrease, difference <= maxIncrease, "paired bootstrap 95% interval of the difference (1,000 resamples)");
    }

    private static GateFigureResult Ece(ScoredModel candidate, ScoredModel production, IReadOnlyList<bool> labels, double maxIncrease)
    {
        double EceOf(ScoredModel model) => BinaryClassificationEvaluator.Evaluate(model.Probabilities, labels, model.Threshold).ExpectedCalibrationError;
        var (eceCandidate, eceProduction) = (EceOf(candidate), EceOf(production));
        var difference = eceCandidate - eceProduction;
        return new GateFigureResult("ece", eceCandidate, eceProduction, difference, null, null, null,
            HigherIsBetter: false, maxIncrease, difference <= maxIncrease, "expected calibration error, 10 equal-width bins");
    }

    private static string Describe(GateFigureResult figure) => Invariant(
        $"{figure.Name} {figure.Candidate:0.0000} vs {figure.Production:0.0000} ({(figure.Difference >= 0 ? "+" : "")}{figure.Difference:0.0000}") +
        (figure.Lower95 is { } lower && figure.Upper95 is { } upper ? Invariant($", 95% interval {lower:0.0000} to {upper:0.0000}") : "") +
        (figure.PValue is { } p ? Invariant($", p = {p:0.####}") : "") +
        Invariant($"; allowed {(figure.HigherIsBetter ? "drop" : "rise")} {figure.Tolerance:0.###})");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
