namespace Pneumonia.Abstractions;

/// <summary>What the promotion gate concluded about a candidate model.</summary>
[Alias("pneumonia.GateVerdict")]
public enum GateVerdict
{
    /// <summary>Not worse than production on any figure beyond its tolerance: it may replace production.</summary>
    Passed = 0,

    /// <summary>Worse than production on at least one figure: production stays.</summary>
    Refused = 1,

    /// <summary>Too few gate images of a class to tell: production stays ("not enough evidence" is not a pass).</summary>
    NotEnoughEvidence = 2,
}

/// <summary>
/// One figure of a paired comparison on the gate set: the candidate's and production's values, the difference
/// (candidate - production) with its 95% interval where one is computed, the test's p-value where one applies, and
/// whether the figure passes its tolerance.
/// </summary>
/// <param name="Name">"roc_auc", "sensitivity", "specificity", "brier" or "ece".</param>
/// <param name="HigherIsBetter">True for ROC-AUC, sensitivity and specificity; false for Brier score and ECE.</param>
/// <param name="Tolerance">How much worse than production the candidate may be on this figure.</param>
/// <param name="Method">How the interval and p-value were computed, e.g. "DeLong", "exact McNemar".</param>
[GenerateSerializer, Immutable, Alias("pneumonia.GateFigure")]
public sealed record GateFigure(
    [property: Id(0)] string Name,
    [property: Id(1)] double Candidate,
    [property: Id(2)] double Production,
    [property: Id(3)] double Difference,
    [property: Id(4)] double? Lower95,
    [property: Id(5)] double? Upper95,
    [property: Id(6)] double? PValue,
    [property: Id(7)] bool HigherIsBetter,
    [property: Id(8)] double Tolerance,
    [property: Id(9)] bool Passed,
    [property: Id(10)] string Method);

/// <summary>
/// The gate's decision with every figure: both models scored, as they are served, on the same gate set at the same
/// moment. Recorded with the promotion decision, the training job and the model list.
/// </summary>
/// <param name="CandidateVersion">The model judged.</param>
/// <param name="ProductionVersion">The production model it was compared with.</param>
/// <param name="GateSetVersion">The version of the gate set (it grows with uploads) that both were scored on.</param>
/// <param name="Summary">One sentence for a person: the verdict and the figure(s) that decided it.</param>
[GenerateSerializer, Immutable, Alias("pneumonia.GateReport")]
public sealed record GateReport(
    [property: Id(0)] GateVerdict Verdict,
    [property: Id(1)] string CandidateVersion,
    [property: Id(2)] string ProductionVersion,
    [property: Id(3)] int GateSetVersion,
    [property: Id(4)] int Normal,
    [property: Id(5)] int Pneumonia,
    [property: Id(6)] IReadOnlyList<GateFigure> Figures,
    [property: Id(7)] string Summary,
    [property: Id(8)] DateTimeOffset EvaluatedAt)
{
    public bool Passed => Verdict == GateVerdict.Passed;

    /// <summary>Value equality, figures included (a record compares lists by reference): a report read back equals the one written.</summary>
    public bool Equals(GateReport? other) =>
        other is not null && Verdict == other.Verdict && CandidateVersion == other.CandidateVersion && ProductionVersion == other.ProductionVersion
        && GateSetVersion == other.GateSetVersion && Normal == other.Normal && Pneumonia == other.Pneumonia
        && Figures.SequenceEqual(other.Figures) && Summary == other.Summary && EvaluatedAt == other.EvaluatedAt;

    public override int GetHashCode() => HashCode.Combine(Verdict, CandidateVersion, ProductionVersion, GateSetVersion, Summary, EvaluatedAt);
}

/// <summary>The fixed evaluation set of the promotion gate: never trained on, never used for early stopping.</summary>
/// <param name="Version">Grows by one each time a batch adds images to it.</param>
/// <param name="Rule">How membership is decided, for people.</param>
[GenerateSerializer, Immutable, Alias("pneumonia.GateSetSummary")]
public sealed record GateSetSummary(
    [property: Id(0)] int Version,
    [property: Id(1)] int Normal,
    [property: Id(2)] int Pneumonia,
    [property: Id(3)] string Rule);

/// <summary>One image of the gate set: its content hash and label.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.GateImage")]
public sealed record GateImage([property: Id(0)] string Sha256, [property: Id(1)] ImageLabel Label);

/// <summary>The gate set at one version, as evaluations read it.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.GateSet")]
public sealed record GateSet([property: Id(0)] int Version, [property: Id(1)] IReadOnlyList<GateImage> Images);

/// <summary>One page of the gate set at <see cref="Version"/>, which holds <see cref="Total"/> images.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.GateSetPage")]
public sealed record GateSetPage([property: Id(0)] int Version, [property: Id(1)] int Total, [property: Id(2)] IReadOnlyList<GateImage> Images);

/// <summary>
/// Scores a candidate model and production on the gate set, each prepared as it is served, and decides. Runs on a
/// trainer silo, off the grain scheduler (a few seconds of inference). Key: the candidate's version.
/// </summary>
[Alias("pneumonia.IGateEvaluatorGrain")]
public interface IGateEvaluatorGrain : IGrainWithStringKey
{
    /// <summary>The gate's report for this candidate against the current production model (null when there is none).</summary>
    Task<GateReport?> EvaluateAsync();
}
