namespace Pneumonia.Abstractions;

/// <summary>The headline metrics of one split at the model's threshold (the full report is in the card).</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.ModelMetrics")]
public sealed record ModelMetrics(
    [property: Id(0)] int Count,
    [property: Id(1)] double Accuracy,
    [property: Id(2)] double Precision,
    [property: Id(3)] double Recall,
    [property: Id(4)] double Specificity,
    [property: Id(5)] double F1,
    [property: Id(6)] double RocAuc,
    [property: Id(7)] double PrAuc,
    [property: Id(8)] double BrierScore,
    [property: Id(9)] double ExpectedCalibrationError,
    [property: Id(10)] double LogLoss,
    [property: Id(11)] int TruePositives,
    [property: Id(12)] int FalsePositives,
    [property: Id(13)] int TrueNegatives,
    [property: Id(14)] int FalseNegatives);

/// <summary>One immutable model version as the registry knows it.</summary>
/// <param name="Directory">Where model.json and weights.bin are, relative to the shared model store.</param>
/// <param name="Card">
/// The complete model card, as saved beside the weights. Stored and sent as its JSON (<see cref="ModelCardCodec"/>),
/// as it was when this field was a string, so state written then still loads.
/// </param>
/// <remarks>Equal when every field is, the card compared by its JSON (its lists are compared by content, not reference).</remarks>
[GenerateSerializer, Immutable, Alias("pneumonia.ModelVersionInfo")]
public sealed record ModelVersionInfo(
    [property: Id(0)] string Version,
    [property: Id(1)] DateTimeOffset CreatedAt,
    [property: Id(2)] string? ParentVersion,
    [property: Id(3)] string Directory,
    [property: Id(4)] double Threshold,
    [property: Id(5)] ModelMetrics Validation,
    [property: Id(6)] ModelMetrics? Test,
    [property: Id(7)] ModelCard Card)
{
    public bool Equals(ModelVersionInfo? other) =>
        other is not null
        && (Version, CreatedAt, ParentVersion, Directory, Threshold, Validation, Test) == (other.Version, other.CreatedAt, other.ParentVersion, other.Directory, other.Threshold, other.Validation, other.Test)
        && (ReferenceEquals(Card, other.Card) || ModelCardJson.Serialize(Card) == ModelCardJson.Serialize(other.Card));

    public override int GetHashCode() => HashCode.Combine(Version, CreatedAt, Directory, Threshold);
}

/// <summary>A decision about the production pointer, kept in the registry's history (refusals too).</summary>
/// <param name="Reason">Why it was (or was not) promoted: who asked, and the gate's summary.</param>
/// <param name="Forced">Promoted by a person's explicit request whatever the gate said (rollbacks count as forced).</param>
/// <param name="Gate">The gate's report with every figure, when the candidate was evaluated on the gate set.</param>
[GenerateSerializer, Immutable, Alias("pneumonia.PromotionDecision")]
public sealed record PromotionDecision(
    [property: Id(0)] string Version,
    [property: Id(1)] bool Promoted,
    [property: Id(2)] string? PreviousVersion,
    [property: Id(3)] bool Forced,
    [property: Id(4)] string Reason,
    [property: Id(5)] DateTimeOffset At,
    [property: Id(6)] GateReport? Gate = null);

/// <summary>The version that answers predictions now.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.ProductionModel")]
public sealed record ProductionModel(
    [property: Id(0)] string Version,
    [property: Id(1)] string Directory,
    [property: Id(2)] DateTimeOffset Since);

/// <summary>One immutable model version: its card and metrics. Key: the version name.</summary>
[Alias("pneumonia.IModelVersionGrain")]
public interface IModelVersionGrain : IGrainWithStringKey
{
    /// <summary>Stores the version's description; a second call with other content is refused (versions never change).</summary>
    Task RegisterAsync(ModelVersionInfo info);

    Task<ModelVersionInfo?> GetAsync();
}

/// <summary>All versions, the production pointer, the promotion gate and its history. Key: <see cref="WellKnownKeys.Default"/>.</summary>
[Alias("pneumonia.IModelRegistryGrain")]
public interface IModelRegistryGrain : IGrainWithStringKey
{
    /// <summary>Adds a version (idempotent); the first version ever registered becomes production.</summary>
    Task RegisterAsync(ModelVersionInfo info);

    /// <summary>Every version, newest first.</summary>
    Task<IReadOnlyList<ModelVersionInfo>> ListAsync();

    Task<ProductionModel?> GetProductionAsync();

    /// <summary>
    /// Makes <paramref name="version"/> production if <paramref name="gate"/> (its comparison with the current
    /// production model on the gate set, see <see cref="IGateEvaluatorGrain"/>) passed, or <paramref name="force"/> is
    /// set; the decision is recorded either way. Without a report, or with one made against another production model,
    /// nothing is promoted unless forced.
    /// </summary>
    Task<PromotionDecision> PromoteAsync(string version, bool force, string reason, GateReport? gate);

    /// <summary>
    /// Points production back at the version it replaced last; when there is none, returns a decision that is not
    /// promoted (and records nothing).
    /// </summary>
    Task<PromotionDecision> RollbackAsync(string reason);

    Task<IReadOnlyList<PromotionDecision>> GetHistoryAsync();
}
