using Pneumonia.Ml.Evaluation;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Architectures;
using Pneumonia.Ml.Packages;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Ml.Training;

/// <summary>A split's images, each changed by <paramref name="Perturbation"/> before preprocessing.</summary>
public sealed record PerturbedPixelSet(XrayPerturbation Perturbation, XrayPixelSet Pixels);

/// <summary>
/// Everything one training run needs; the splits are already decoded with <see cref="Preprocessing"/>. The ML core's
/// input, not a client's request: a retrain's (the contract's <c>RetrainRequest</c>) is turned into one by the
/// grains' <c>RetrainRunner</c>, the CLI's <c>train</c> builds one from its arguments; the recipe is <see cref="Options"/>.
/// </summary>
public sealed record TrainingInputs
{
    public required XrayPixelSet Train { get; init; }
    public required XrayPixelSet Validation { get; init; }

    /// <summary>
    /// Perturbed copies of <see cref="Validation"/>'s images (all of them, or a sample on a large data set: each view holds
    /// its own images and labels). When given they choose the best epoch,
    /// and the calibration and the threshold are fitted on the clean and perturbed validation images pooled, so that
    /// they hold on images that are not as clean as the training set's.
    /// </summary>
    public IReadOnlyList<PerturbedPixelSet> ValidationViews { get; init; } = [];

    /// <summary>
    /// Whether <see cref="ValidationViews"/> also choose the best epoch (scored every epoch), or only fit the
    /// calibration and the threshold at the end (the best epoch is then the best on clean validation). A short, gentle
    /// retrain gains little from the per-epoch choice and pays for it in minutes.
    /// </summary>
    public bool ViewsChooseEpoch { get; init; } = true;

    /// <summary>Held-out images, evaluated once at the end for the card; they influence nothing.</summary>
    public XrayPixelSet? Test { get; init; }

    /// <summary>Perturbed copies of <see cref="Test"/>, evaluated once at the end for the card's robustness table; they influence nothing.</summary>
    public IReadOnlyList<PerturbedPixelSet> TestViews { get; init; } = [];

    /// <summary>Recorded in the card: how this run will be chosen among others (written before they run).</summary>
    public string? SelectionRule { get; init; }

    public required TrainingOptions Options { get; init; }
    public required PreprocessingParameters Preprocessing { get; init; }
    public required DatasetSnapshot Dataset { get; init; }

    /// <summary>Start from this saved model (fine-tuning a production model); null starts a new network from <see cref="NewArchitecture"/>.</summary>
    public string? ParentModelDirectory { get; init; }

    /// <summary>The network to build when there is no parent.</summary>
    public ModelArchitecture? NewArchitecture { get; init; }

    /// <summary>
    /// The number format of the new weights file; null for the parent's (a retrain keeps its model's format), or
    /// float32 for a new model.
    /// </summary>
    public WeightStorage? WeightStorage { get; init; }

    /// <summary>Where the finished model is written (model.json + weights.bin).</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Where the best-so-far weights are written after an improving epoch; null for none.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>
    /// The number format the model will be served in. Calibration, the threshold and the card's validation and test
    /// reports are computed from the answers of the network prepared that way, not from the float32 training copy.
    /// </summary>
    public ServingPrecision Serving { get; init; } = ServingPrecision.Default;
}

/// <summary>
/// Train -> calibrate on validation -> choose the threshold on validation -> evaluate validation and test -> save
/// the model with its card. The test split is only ever evaluated, never used to choose anything.
/// </summary>
public sealed class ModelTrainingPipeline
{
    private readonly TimeProvider _time;

    public ModelTrainingPipeline(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    public ModelCard Run(TrainingInputs inputs, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Train.InputSize != inputs.Preprocessing.InputSize || inputs.Validation.InputSize != inputs.Preprocessing.InputSize)
            throw new ArgumentException("the splits were not decoded at the preprocessing input size");
        if (inputs.Options.PerturbedValidation != inputs.ValidationViews.Count > 0)
            throw new ArgumentException(inputs.Options.PerturbedValidation
                ? "the options ask for perturbed validation but the inputs have no perturbed validation views"
                : "the inputs have perturbed validation views but the options do not ask for perturbed validation");

        // Seed before the network is built: the head's initial weights come from the global generator.
        TorchSharp.torch.random.manual_seed(inputs.Options.Seed);
        ModelCard? parent = inputs.ParentModelDirectory is null ? null : ModelPackage.ReadCard(inputs.ParentModelDirectory);
        if (parent is not null && parent.Preprocessing != inputs.Preprocessing)
            throw new ArgumentException($"the parent model {parent.Version} was trained with other preprocessing parameters");
        using var network = parent is not null
            ? ModelPackage.LoadNetwork(parent, inputs.ParentModelDirectory!)
            : NetworkArchitectures.Create(inputs.NewArchitecture ?? throw new ArgumentException("a new model needs an architecture"), loadPretrainedWeights: true);
        var architecture = parent?.Architecture ?? inputs.NewArchitecture!;

        var created = _time.GetUtcNow();
        var version = $"pneumonia-{created:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}";
        Action<int>? checkpoint = inputs.CheckpointDirectory is null
            ? null
            : _ => WriteAtomically(inputs.CheckpointDirectory, "checkpoint.bin", network);

        var result = new PneumoniaTrainer(_time).Train(network, inputs.Train, inputs.Validation, inputs.Options, progress, checkpoint, architecture,
            inputs.ViewsChooseEpoch ? [.. inputs.ValidationViews.Select(v => v.Pixels)] : [], cancellationToken);

        // Rounded before anything is measured: the card's calibration, threshold and figures are those of the stored weights.
        var storage = inputs.WeightStorage ?? parent?.Weights.Storage ?? WeightStorage.Fp32;
        ModelPackage.RoundForStorage(network, storage);

        progress?.Report(Phase("calibrating", result, inputs.Options));
        // Everything the card reports, and the calibration and threshold it chooses, come from the network as it will
        // be served (batch norms folded, in the serving precision): those are the answers users will get.
        // In int8, the activation ranges are calibrated on the validation images (the card keeps them).
        using var served = ServingNetwork.CopyOf(network, architecture, inputs.Serving, inputs.Validation.Pixels, cancellationToken);
        var validationLabels = Labels(inputs.Validation);
        // The validation images (clean, then each view) run through the served network once: their pooled features give
        // both the logits calibrated here and the out-of-distribution detector's threshold below.
        float[] validationFeatures = [.. new[] { inputs.Validation }.Concat(inputs.ValidationViews.Select(v => v.Pixels))
            .SelectMany(set => served.PooledFeatures(set.Pixels, cancellationToken: cancellationToken))];
        var allValidationLogits = served.HeadLogits(validationFeatures);
        var validationLogits = allValidationLogits[..inputs.Validation.Count];
        // With perturbed views, calibration and threshold are fitted on clean and perturbed images pooled: fitted on the
        // clean images alone (nearly separable) they were over-confident, and the threshold sat where any change to a
        // normal film pushed it over (issue 13).
        double[] fittingLogits = [.. allValidationLogits.Select(l => (double)l)];
        bool[] fittingLabels = [.. validationLabels, .. inputs.ValidationViews.SelectMany(v => Labels(v.Pixels))];
        var calibration = PlattScaling.Fit(fittingLogits, fittingLabels);
        var threshold = ThresholdSelector.ForMinimumSensitivityWithMargin(
            fittingLogits.Select(calibration.Probability).ToArray(), fittingLabels, inputs.Options.MinimumSensitivity);
        var validationProbabilities = validationLogits.Select(l => calibration.Probability(l)).ToArray();
        var validationReport = BinaryClassificationEvaluator.Evaluate(validationProbabilities, validationLabels, threshold);
        var fittedOn = inputs.ValidationViews.Count == 0
            ? "validation"
            : $"validation, clean and under {inputs.ValidationViews.Count} perturbations pooled ({string.Join(", ", inputs.ValidationViews.Select(v => v.Perturbation.Name))})";
        // With perturbed views, the out-of-distribution threshold is set on them too: a noisier or darker film is one the
        // model was made to answer, not a stranger (fitted on clean validation alone, it flagged a fifth of the normal
        // test films of the issue-13 model).
        var outOfDistribution = OutOfDistributionFitting.FitOn(served, inputs.Train.Pixels, validationFeatures, inputs.ValidationViews.Count,
            cancellationToken: cancellationToken);

        EvaluationReport? testReport = null;
        List<PerturbedEvaluation>? testUnderPerturbation = null;
        if (inputs.Test is { Count: > 0 } test)
        {
            progress?.Report(Phase("evaluating", result, inputs.Options));
            EvaluationReport Evaluate(XrayPixelSet set) => BinaryClassificationEvaluator.Evaluate(
                served.PredictLogits(set.Pixels, cancellationToken: cancellationToken).Select(l => calibration.Probability(l)).ToArray(), Labels(set), threshold);
            testReport = Evaluate(test);
            if (inputs.TestViews.Count > 0)
            {
                // The rows keep the figures, not the curves: thirteen ROC curves would triple the card's size.
                static EvaluationReport Figures(EvaluationReport report) => report with { RocCurve = [], CalibrationBins = [] };
                testUnderPerturbation = [new(XrayPerturbation.Clean.Name, Figures(testReport)),
                    .. inputs.TestViews.Select(v => new PerturbedEvaluation(v.Perturbation.Name, Figures(Evaluate(v.Pixels))))];
            }
        }

        var card = new ModelCard
        {
            Version = version,
            CreatedAt = created,
            ParentVersion = parent?.Version,
            Architecture = architecture,
            Preprocessing = inputs.Preprocessing,
            Calibration = calibration,
            Threshold = threshold,
            ThresholdRule = $"sensitivity >= {inputs.Options.MinimumSensitivity:0.###} at the best specificity on {fittedOn}, mid-way (log-odds) across the thresholds that keep both",
            Training = inputs.Options,
            History = result.History,
            TrainingSeconds = result.Seconds,
            Dataset = inputs.Dataset,
            Validation = validationReport,
            Test = testReport,
            EvaluatedPrecision = served.Precision,
            Quantization = served.Quantization,
            Weights = new ModelWeightsFile(ModelPackage.WeightsFileName, "", 0, storage),
            OutOfDistribution = outOfDistribution,
            SelectionRule = inputs.SelectionRule,
            TestUnderPerturbation = testUnderPerturbation,
        };
        return ModelPackage.Save(network, card, inputs.OutputDirectory);
    }

    private static bool[] Labels(XrayPixelSet set) => set.Images.Select(i => i.IsPneumonia).ToArray();

    private static TrainingProgress Phase(string phase, TrainingResult result, TrainingOptions options) =>
        new(phase, result.History.Count, options.Epochs, 0, 0, 1, result.History[^1].TrainingLoss,
            result.History[^1].TrainingAccuracy, result.History[^1].ValidationAuc, TimeSpan.FromSeconds(result.Seconds), TimeSpan.Zero);

    private static string WriteAtomically(string directory, string fileName, PneumoniaNetwork network)
    {
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, $".{fileName}.{Guid.NewGuid():N}.tmp");
        network.save(temporary);
        var path = Path.Combine(directory, fileName);
        File.Move(temporary, path, overwrite: true);
        return path;
    }
}
