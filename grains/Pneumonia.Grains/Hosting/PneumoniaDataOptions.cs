using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Evaluation;
using Pneumonia.Abstractions;

namespace Pneumonia.Grains.Hosting;

/// <summary>Where images and models live; bound from <see cref="SectionName"/>.</summary>
public sealed class PneumoniaDataOptions : IValidatableObject
{
    public const string SectionName = "Pneumonia:Data";

    /// <summary>
    /// Holds <c>images/</c> (the content-addressed image store) and <c>models/&lt;version&gt;/</c>. A relative path is
    /// taken from the host's content root.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDirectory { get; set; } = "data";

    /// <summary>The model that becomes production when the registry is empty (model.json + weights.bin).</summary>
    [Required(AllowEmptyStrings = false)]
    public string BundledModelDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "models", "bundled");

    /// <summary>
    /// A Kaggle-layout folder or .zip on the server's disk imported as the base data set (source "kermany") at start-up
    /// when the data set has no such batch yet; empty imports nothing. A relative path is looked for from the content
    /// root and each directory above it, then from the application's directory and each above it (see
    /// <see cref="LocateBaseDataset"/>), so the default finds <c>shared/data/chest_xray</c> beside the repository under
    /// <c>dotnet run</c>, from a build output and from a publish directory alike.
    /// </summary>
    /// <remarks>
    /// The default applies also where no appsettings.json is read (a build output started from another folder, whose
    /// content root is that folder); set it empty to import nothing.
    /// </remarks>
    public string? BaseDatasetPath { get; set; } = DefaultBaseDatasetPath;

    /// <summary>Where the README puts the Kermany data: <c>shared/data/chest_xray</c> beside the checkout.</summary>
    public const string DefaultBaseDatasetPath = "shared/data/chest_xray";

    /// <summary>
    /// An absolute <paramref name="path"/> as it is; a relative one resolved against the first of
    /// <paramref name="roots"/> or their ancestors under which it exists, else against the first root (so a
    /// missing data set is reported at the path people expect).
    /// </summary>
    public static string LocateBaseDataset(string path, params string[] roots)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Path.IsPathRooted(path) || roots.Length == 0) return Path.GetFullPath(path);
        foreach (var root in roots)
        {
            for (var directory = new DirectoryInfo(Path.GetFullPath(root)); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, path);
                if (Directory.Exists(candidate) || File.Exists(candidate)) return candidate;
            }
        }

        return Path.GetFullPath(path, roots[0]);
    }

    /// <summary>
    /// Where images and model versions are kept: <see cref="DataStore.Directory"/> (under <see cref="DataDirectory"/>,
    /// which every silo and front end of a cluster must share) or <see cref="DataStore.AzureBlob"/> (an Azure Blob
    /// Storage container; <see cref="DataDirectory"/> then holds only this machine's read-through cache).
    /// </summary>
    [EnumDataType(typeof(DataStore))]
    public DataStore Store { get; set; } = DataStore.Directory;

    /// <summary>With <see cref="DataStore.AzureBlob"/>: the storage account's connection string (keep it in the environment).</summary>
    public string? AzureBlobConnectionString { get; set; }

    /// <summary>With <see cref="DataStore.AzureBlob"/>: the container (created if missing).</summary>
    [Required(AllowEmptyStrings = false)]
    public string AzureBlobContainer { get; set; } = "pneumonia";

    /// <summary>The content-addressed image store (the local cache with <see cref="DataStore.AzureBlob"/>).</summary>
    public string ImagesDirectory => Path.Combine(DataDirectory, "images");

    /// <summary>One sub-directory per model version (the local cache with <see cref="DataStore.AzureBlob"/>).</summary>
    public string ModelsDirectory => Path.Combine(DataDirectory, "models");

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Store == DataStore.AzureBlob && string.IsNullOrWhiteSpace(AzureBlobConnectionString))
        {
            yield return new ValidationResult(
                "Pneumonia:Data:AzureBlobConnectionString is required with Pneumonia:Data:Store=AzureBlob.", [nameof(AzureBlobConnectionString)]);
        }
    }
}

/// <summary>Where images and model versions are kept.</summary>
public enum DataStore
{
    /// <summary>Files under the data directory: the single-machine default, or a directory every machine mounts.</summary>
    Directory,

    /// <summary>An Azure Blob Storage container, with a local read-through cache on each machine: no shared disk.</summary>
    AzureBlob,
}

/// <summary>The promotion gate; bound from <see cref="SectionName"/>.</summary>
public sealed class PromotionOptions
{
    public const string SectionName = "Pneumonia:Promotion";

    /// <summary>
    /// The share of patients (of whole upload batches where file names name no patient) held out of training into
    /// the gate set, on which candidate and production are compared. Changing it later moves no image already assigned.
    /// </summary>
    [Range(0.05, 0.5)]
    public double GateFraction { get; set; } = GateSetRule.DefaultFraction;

    /// <summary>Fewer gate images of either class than this is "not enough evidence": nothing is promoted without force.</summary>
    [Range(1, 100_000)]
    public int MinimumGateImagesPerClass { get; set; } = 100;

    /// <summary>How far the lower end of the 95% interval (DeLong) of the ROC-AUC difference may fall below zero.</summary>
    [Range(0.0, 1.0)]
    public double MaxAucDrop { get; set; } = 0.005;

    /// <summary>How much gate-set sensitivity (each model at its own threshold) may drop; a significant drop (McNemar) refuses anyway.</summary>
    [Range(0.0, 1.0)]
    public double MaxSensitivityDrop { get; set; } = 0.02;

    /// <summary>How much gate-set specificity may drop; a significant drop (McNemar) refuses anyway.</summary>
    [Range(0.0, 1.0)]
    public double MaxSpecificityDrop { get; set; } = 0.02;

    /// <summary>How much the gate-set Brier score may rise.</summary>
    [Range(0.0, 1.0)]
    public double MaxBrierIncrease { get; set; } = 0.01;

    /// <summary>How much the gate-set expected calibration error may rise.</summary>
    [Range(0.0, 1.0)]
    public double MaxEceIncrease { get; set; } = 0.02;

    /// <summary>p-value under which a drop in sensitivity or specificity counts as real, whatever its size.</summary>
    [Range(1e-9, 0.5)]
    public double SignificanceLevel { get; set; } = 0.05;

    public GateTolerances Tolerances => new(
        MaxAucDrop, MaxSensitivityDrop, MaxSpecificityDrop, MaxBrierIncrease, MaxEceIncrease, MinimumGateImagesPerClass, SignificanceLevel);
}

/// <summary>Defaults and limits of retraining; bound from <see cref="SectionName"/>.</summary>
public sealed class RetrainOptions
{
    public const string SectionName = "Pneumonia:Retrain";

    /// <summary>
    /// A retrain needs at least this many trainable labelled images of each class (gate set and held batches not
    /// counted); fewer is refused with what is missing. A model fitted, calibrated and thresholded on a handful of
    /// images is worse than none.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MinimumTrainingImagesPerClass { get; set; } = 100;

    /// <summary>The most epochs a request may ask for.</summary>
    [Range(1, 500)]
    public int MaxEpochs { get; set; } = 50;

    /// <summary>The largest batch size a request may ask for (the smallest is 1).</summary>
    [Range(1, 1024)]
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>Fraction of the training patients carved out for validation (besides the official val split).</summary>
    [Range(0.01, 0.5)]
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Seed of the patient-grouped validation split, so a retrain on the same data splits the same way.</summary>
    public int SplitSeed { get; set; } = 17;

    /// <summary>
    /// First backbone stage a <c>fine_tune=true</c> retrain updates. A retrain adapts a trained model to more data,
    /// so it moves only the last stage (and the head): about half the work per image of moving stages 2 and 3.
    /// </summary>
    [Range(1, 4)]
    public int FirstFineTunedStage { get; set; } = 3;

    /// <summary>
    /// Compute the frozen stages once per image and epoch, on a freshly augmented view, instead of once per batch
    /// (see TrainingOptions.CacheFrozenFeatures): what lets a 5-epoch fine-tune of the full training set finish in
    /// minutes on two cores while keeping the parent's augmentation on.
    /// </summary>
    public bool CacheFrozenFeatures { get; set; } = true;

    /// <summary>
    /// Factor on the parent's learning rates for a retrain. The parent has converged; a retrain that starts a full
    /// learning-rate cycle again (and, with cached features, without augmentation) over-fits the training images:
    /// measured on the bundled model, 5 epochs at the parent's rates took test ROC-AUC from 0.974 to 0.963 while
    /// validation ROC-AUC rose (which the gate cannot see); at a tenth of them, to 0.968. See docs/BENCHMARKS.md.
    /// </summary>
    [Range(1e-4, 1.0)]
    public double LearningRateScale { get; set; } = 0.1;

    /// <summary>
    /// Whether a retrain of a parent trained with perturbed validation also scores those views every epoch to choose
    /// its best epoch. Off by default: the views still fit the calibration and the threshold, but scoring twelve views
    /// an epoch took a 5-epoch retrain of the bundled model from about 4 to almost 6 minutes, for a choice among a
    /// few epochs of a tenth of the parent's learning rates (docs/BENCHMARKS.md, load-retrain).
    /// </summary>
    public bool ViewsChooseEpoch { get; set; }

    /// <summary>
    /// At most this many validation images in each perturbed view (an evenly spaced sample). The Kermany data set's
    /// validation split (about 500 images) is used whole; at 120,000 images it would be 8,800 images in twelve views,
    /// 2.7 GB decoded and about 7 minutes of forward passes per retrain for no sharper calibration (issue 16).
    /// </summary>
    [Range(100, 1_000_000)]
    public int MaxPerturbedValidationImages { get; set; } = 2_000;

    /// <summary>Threads libtorch uses while training; 0 leaves libtorch's default.</summary>
    [Range(0, 256)]
    public int WorkerThreads { get; set; }

    /// <summary>How often a running job copies its progress into its state (and notices that training ended).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The values of <paramref name="request"/> outside these limits; empty when it may run.</summary>
    public IReadOnlyList<RetrainValueOutOfRange> OutOfRange(RetrainRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        List<RetrainValueOutOfRange> outside = [];
        if (request.Epochs < 1 || request.Epochs > MaxEpochs)
        {
            outside.Add(new RetrainValueOutOfRange(nameof(RetrainRequest.Epochs), request.Epochs, 1, MaxEpochs));
        }

        if (request.BatchSize < 1 || request.BatchSize > MaxBatchSize)
        {
            outside.Add(new RetrainValueOutOfRange(nameof(RetrainRequest.BatchSize), request.BatchSize, 1, MaxBatchSize));
        }

        return outside;
    }

    /// <summary>
    /// The recipe of a retrain of a model trained with <paramref name="parent"/>: the one mapping from the request to
    /// the trainer. The request sets the run's length and whether the backbone learns; these settings decide how much
    /// of it learns, how gently (a fraction of the parent's learning rates) and whether frozen features are cached;
    /// the rest (schedule, sensitivity target, perturbed validation) is what produced the parent, so a retrain changes
    /// little but the data.
    /// </summary>
    public TrainingOptions RecipeFor(TrainingOptions parent, RetrainRequest request)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(request);
        return parent with
        {
            Epochs = request.Epochs,
            BatchSize = request.BatchSize,
            FineTune = request.FineTune,
            FirstFineTunedStage = FirstFineTunedStage,
            CacheFrozenFeatures = CacheFrozenFeatures,
            HeadLearningRate = parent.HeadLearningRate * LearningRateScale,
            BackboneLearningRate = parent.BackboneLearningRate * LearningRateScale,
        };
    }
}

/// <summary>Serving; bound from <see cref="SectionName"/>.</summary>
public sealed class PredictionOptions
{
    public const string SectionName = "Pneumonia:Prediction";

    /// <summary>How often each silo asks the registry which version is production.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan ModelRefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The most images one forward pass classifies: concurrent requests are batched up to this, and a batch call is
    /// cut into passes of at most this many (bounds the memory of one pass).
    /// </summary>
    [Range(1, 1024)]
    public int MaxBatchImages { get; set; } = 32;

    /// <summary>
    /// Threads that run forward passes, each taking whatever is queued when it is free. Requests are decoded and
    /// preprocessed on the request threads, in parallel with the forward passes.
    /// </summary>
    [Range(1, 64)]
    public int InferenceWorkers { get; set; } = 1;

    /// <summary>Threads libtorch (or, in int8, ONNX Runtime) uses for one forward pass on an inference worker; 0 leaves the engine's default (one per core).</summary>
    [Range(0, 256)]
    public int InferenceThreads { get; set; } = 2;

    /// <summary>
    /// The number format of the forward pass: Int8 (ONNX Runtime, for models whose card has activation ranges; others
    /// are served in all-bf16), Bf16 (with <see cref="Bf16FromStage"/>) or Fp32. The default is <see cref="ServingPrecision.Default"/>.
    /// </summary>
    public InferencePrecision Precision { get; set; } = ServingPrecision.Default.Precision;

    /// <summary>
    /// With Bf16: the first backbone stage computed in bfloat16 (0 = all of it); the stages before and the head stay
    /// float32. Serving folds each batch norm into its convolution (in float64) before converting, which is what keeps
    /// all-bf16 honest: on the bundled model's test split it gives fp32's labels on all 624 files (largest probability
    /// change 0.050) at about 1.4x the rate of bf16 from stage 2. Before folding, the bf16 batch norms moved 4 labels
    /// and specificity fell under the target (see docs/BENCHMARKS.md, inference-floor).
    /// </summary>
    [Range(0, 5)]
    public int Bf16FromStage { get; set; } = ServingPrecision.Default.Bf16FromStage;

    /// <summary>Precision and Bf16FromStage together: how models are served, and so how a retrain evaluates its model.</summary>
    public ServingPrecision Serving => new(Precision, Bf16FromStage);

    /// <summary>
    /// The original service's design, for comparison benchmarks only: load the production model from disk for every
    /// request, classify on the request's thread and dispose it. Never enable in production.
    /// </summary>
    public bool LoadModelPerRequest { get; set; }
}

/// <summary>Binds <see cref="PneumoniaDataOptions"/> once, for silos and client-mode front ends alike.</summary>
public static class PneumoniaDataOptionsExtensions
{
    /// <summary>
    /// Binds <see cref="PneumoniaDataOptions"/> from <see cref="PneumoniaDataOptions.SectionName"/>, validated at start-up,
    /// with relative paths resolved against the content root (the base data set also beside the application), so that
    /// every process that shares a data directory resolves it the same way.
    /// </summary>
    public static IServiceCollection AddPneumoniaDataOptions(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PneumoniaDataOptions>()
            .BindConfiguration(PneumoniaDataOptions.SectionName)
            .PostConfigure<IHostEnvironment>((options, environment) =>
            {
                options.DataDirectory = Path.GetFullPath(options.DataDirectory, environment.ContentRootPath);
                options.BundledModelDirectory = Path.GetFullPath(options.BundledModelDirectory, environment.ContentRootPath);
                if (!string.IsNullOrEmpty(options.BaseDatasetPath))
                    options.BaseDatasetPath = PneumoniaDataOptions.LocateBaseDataset(options.BaseDatasetPath, environment.ContentRootPath, AppContext.BaseDirectory);
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return services;
    }
}
