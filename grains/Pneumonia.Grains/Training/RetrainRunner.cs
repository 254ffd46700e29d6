using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Hosting;
using Pneumonia.Grains.Models;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Training;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Grains.Training;

/// <summary>A trained, published model: its card, its directory relative to the model store, and the gate's report on it.</summary>
public sealed record RetrainResult(ModelCard Card, string Directory, GateReport Gate);

/// <summary>
/// Turns a <see cref="RetrainRequest"/> into a published model with the ML core: decode the splits from the image
/// store, run <see cref="ModelTrainingPipeline"/> from the parent model with the recipe
/// <see cref="RetrainOptions.RecipeFor"/> makes of the request, publish <c>models/&lt;version&gt;</c>. Blocking: call
/// it on a training thread (<see cref="TrainingExecutor"/>), never in a grain turn. Its inputs are metadata and paths,
/// gathered by the job grain in its own turn.
/// </summary>
public sealed class RetrainRunner(
    IImageStore images,
    IModelStore models,
    XrayImageDecoder decoder,
    GateEvaluator gate,
    IOptions<RetrainOptions> options,
    IOptions<PredictionOptions> prediction,
    TimeProvider time)
{
    /// <param name="jobId">Names the staging directory.</param>
    /// <param name="request">The job's request, as the coordinator admitted it.</param>
    /// <param name="trainingImages">The labelled images it may use (base data set and uploads; not the gate set, not held batches).</param>
    /// <param name="parentModel">The production model to fine-tune from, and to compare the new model with on the gate set.</param>
    /// <param name="gateSet">The gate set the new model and its parent are both scored on.</param>
    public RetrainResult Run(
        string jobId, RetrainRequest request, IReadOnlyList<ImageRecord> trainingImages, ModelOnDisk parentModel, GateSet gateSet,
        IProgress<TrainingProgress> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(trainingImages);
        ArgumentNullException.ThrowIfNull(parentModel);
        ArgumentNullException.ThrowIfNull(progress);
        var parentDirectory = models.PathOf(parentModel.Directory);
        var parent = ModelPackage.ReadCard(parentDirectory);
        var preprocessor = new XrayPreprocessor(parent.Preprocessing, decoder);
        var loading = time.GetTimestamp();
        progress.Report(TrainingProgress.ImagePhase("loading", 0, request.Epochs, 0, 0, trainingImages.Count, TimeSpan.Zero));
        using var splits = TrainingSplits.Load(
            trainingImages, images, preprocessor, options.Value.ValidationFraction, options.Value.SplitSeed,
            perturbations: parent.Training.PerturbedValidation ? XrayPerturbation.ValidationSuite : [],
            maxPerturbedImages: options.Value.MaxPerturbedValidationImages,
            decoded: (done, total) => progress.Report(TrainingProgress.ImagePhase("loading", 0, request.Epochs, 0, done, total, time.GetElapsedTime(loading))),
            cancellationToken: cancellationToken);

        var staging = models.NewStagingDirectory(jobId);
        try
        {
            var card = new ModelTrainingPipeline(time).Run(
                new TrainingInputs
                {
                    Train = splits.Train,
                    Validation = splits.Validation,
                    ValidationViews = splits.ValidationViews,
                    ViewsChooseEpoch = options.Value.ViewsChooseEpoch,
                    Test = splits.Test.Count > 0 ? splits.Test : null,
                    Options = options.Value.RecipeFor(parent.Training, request),
                    Preprocessing = parent.Preprocessing,
                    Dataset = splits.Snapshot,
                    ParentModelDirectory = parentDirectory,
                    OutputDirectory = staging,
                    // The new model is judged (and its threshold chosen) as the predictor silos will serve it; in a
                    // cluster, trainer and predictor silos share the Pneumonia:Prediction settings.
                    Serving = prediction.Value.Serving,
                },
                progress,
                cancellationToken);
            var published = models.Publish(staging, card.Version);
            // Judged now, on the same thread: both models as they are served, on the same gate images.
            progress.Report(new TrainingProgress("gating", request.Epochs, request.Epochs, 0, 0, 1, 0, 0, null, TimeSpan.Zero, null));
            var report = gate.Evaluate(new ModelOnDisk(card.Version, published), parentModel, gateSet, cancellationToken);
            return new RetrainResult(card, published, report);
        }
        catch
        {
            // Publish moved the staging directory away: only a run that failed before it leaves one to delete.
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            throw;
        }
    }
}
