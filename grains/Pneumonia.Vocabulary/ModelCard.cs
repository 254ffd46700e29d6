namespace Pneumonia;

/// <summary>
/// Everything needed to use, judge and reproduce one trained model; stored as model.json beside its weights.
/// A model is immutable: a retrain makes a new version with this one as its parent.
/// </summary>
/// <remarks>
/// The one card type of model.json files, the registry's grain state, the contracts (<c>ModelVersionInfo.Card</c>),
/// the REST API and the notebooks, always as the JSON of <see cref="ModelCardJson.Options"/>. Treat a card and
/// everything it holds as read-only: grain calls share it instead of copying it.
/// </remarks>
public sealed record ModelCard
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>Unique, sortable name such as <c>pneumonia-20261126-061500-3fa9c2</c>.</summary>
    public required string Version { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The version this one was fine-tuned from; null when trained from the ImageNet backbone.</summary>
    public string? ParentVersion { get; init; }

    public required ModelArchitecture Architecture { get; init; }

    public required PreprocessingParameters Preprocessing { get; init; }

    public required ProbabilityCalibration Calibration { get; init; }

    /// <summary>Predict PNEUMONIA when the calibrated probability is at least this.</summary>
    public required double Threshold { get; init; }

    /// <summary>
    /// How <see cref="Threshold"/> was chosen, in words, e.g. "sensitivity >= 0.95 at the best specificity on validation
    /// images, mid-way (log-odds) across the thresholds that keep both".
    /// </summary>
    public required string ThresholdRule { get; init; }

    public required TrainingOptions Training { get; init; }

    public required IReadOnlyList<EpochSummary> History { get; init; }

    public required double TrainingSeconds { get; init; }

    public required DatasetSnapshot Dataset { get; init; }

    /// <summary>Metrics at <see cref="Threshold"/> on the validation split (which also chose the threshold).</summary>
    public required EvaluationReport Validation { get; init; }

    /// <summary>Metrics at <see cref="Threshold"/> on the held-out test split; never used for any choice.</summary>
    public EvaluationReport? Test { get; init; }

    /// <summary>
    /// The serving precision the validation and test reports (and the calibration and threshold) were computed in;
    /// null on cards written before it was recorded, whose reports are of the unfolded float32 network.
    /// </summary>
    public ServingPrecision? EvaluatedPrecision { get; init; }

    /// <summary>
    /// The activation ranges that serving in <see cref="InferencePrecision.Int8"/> needs; null on cards written before
    /// it existed or of architectures without an int8 graph, which are served in bfloat16 instead.
    /// </summary>
    public Int8Quantization? Quantization { get; init; }

    public required ModelWeightsFile Weights { get; init; }

    /// <summary>
    /// Tells images like the training X-rays from the rest, on the served network's pooled features; null on cards
    /// written before it existed (their predictions carry no out-of-distribution check).
    /// </summary>
    public OutOfDistributionDetector? OutOfDistribution { get; init; }

    /// <summary>
    /// How this model was chosen among the runs tried, written before they ran (e.g. "the run with the best mean
    /// balanced accuracy on the perturbed gate set"); null when nothing was chosen (a single run, a retrain).
    /// </summary>
    public string? SelectionRule { get; init; }

    /// <summary>
    /// Metrics at <see cref="Threshold"/> on the test split under each perturbation of the robustness table (clean
    /// first; the figures without their ROC curves and calibration bins); evaluated once at the end, never used for
    /// any choice. Null when not measured.
    /// </summary>
    public IReadOnlyList<PerturbedEvaluation>? TestUnderPerturbation { get; init; }
}

/// <summary>One row of a robustness table: the metrics of a split whose images were changed by <paramref name="Perturbation"/>.</summary>
/// <param name="Perturbation">The perturbation's name, e.g. "Gaussian noise sigma 8".</param>
public sealed record PerturbedEvaluation(string Perturbation, EvaluationReport Report);

/// <summary>The network's shape: enough to rebuild it before loading the weights.</summary>
/// <param name="Name">Network family, e.g. "resnet18-imagenet".</param>
/// <param name="BackboneStages">How many feature stages after the stem are kept: 1 to the architecture's <c>MaxStages</c> (1..4 for the ResNet-18).</param>
/// <param name="Pretrained">Where the initial backbone weights came from (e.g. the NuGet package and file hash), or "random".</param>
public sealed record ModelArchitecture(string Name, int BackboneStages, double Dropout, long Parameters, string Pretrained);

/// <summary>Which images a model saw: the hash identifies the exact set (SHA-256 of the sorted image hashes).</summary>
public sealed record DatasetSnapshot(
    string SnapshotHash,
    int TrainNormal,
    int TrainPneumonia,
    int ValidationNormal,
    int ValidationPneumonia,
    int TestNormal,
    int TestPneumonia,
    string Description);

/// <summary>The weights file beside the card, with its hash so that a damaged or swapped file is refused.</summary>
/// <param name="Storage">The number format of the file (cards written before it existed hold float32).</param>
public sealed record ModelWeightsFile(string FileName, string Sha256, long Bytes, WeightStorage Storage = WeightStorage.Fp32);
