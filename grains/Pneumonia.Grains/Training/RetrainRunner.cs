using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Hosting;
using Pneumonia.Grains.Models;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Training;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Grains.Training;

/// <summary>What one retrain needs, gathered by the job grain in its own turn: metadata and paths only.</summary>
/// <param name="Images">The labelled images it may use (base data set and uploads; not the gate set, not held batches).</param>
/// <param name="Parent">The production model to fine-tune from, and to compare the new model with on the gate set.</param>
/// <param name="Gate">The gate set the new model and its parent are both scored on.</param>
public sealed record RetrainWork(
    string JobId,
    IReadOnlyList<ImageRecord> Images,
    ModelOnDisk Parent,
    GateSet Gate,
    int Epochs,
    int BatchSize,
    bool FineTune);

/// <summary>A trained, published model: its card, its directory relative to the model store, and the gate's report on it.</summary>
public sealed record RetrainResult(ModelCard Card, string Directory, GateReport Gate);

/// <summary>
/// Turns a <see cref="RetrainWork"/> into a published model with the ML core: decode the splits from the image store,
/// run <see cref="ModelTrainingPipeline"/> from the parent model, publish <c>models/&lt;version&gt;</c>. Blocking:
/// call it on a training thread (<see cref="TrainingExecutor"/>), never in a grain turn.
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
    public RetrainResult Run(RetrainWork work, IProgress<TrainingProgress> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(progress);
        var parentDirectory = models.PathOf(work.Parent.Directory);
        var parent = ModelPackage.ReadCard(parentDirectory);
        var preprocessor = new XrayPreprocessor(parent.Preprocessing, decoder);
        var loading = time.GetTimestamp();
        progress.Report(TrainingProgress.ImagePhase("loading", 0, work.Epochs, 0, 0, work.Images.Count, TimeSpan.Zero));
        using var splits = TrainingSplits.Load(
            work.Images, images, preprocessor, options.Value.ValidationFraction, options.Value.SplitSeed,
            perturbations: parent.Training.PerturbedValidation ? XrayPerturbation.ValidationSuite : [],
            decoded: (done, total) => progress.Report(TrainingProgress.ImagePhase("loading", 0, work.Epochs, 0, done, total, time.GetElapsedTime(loading))),
            cancellationToken: cancellationToken);

        // The request sets the run's length and whether the backbone learns; the retrain settings decide how much of
        // it learns, how gently (a fraction of the parent's learning rates) and whether frozen features are cached;
        // the rest (schedule, sensitivity target) is what produced the parent, so a retrain changes little but the data.
        var trainingOptions = parent.Training with
        {
            Epochs = work.Epochs,
            BatchSize = work.BatchSize,
            FineTune = work.FineTune,
            FirstFineTunedStage = options.Value.FirstFineTunedStage,
            CacheFrozenFeatures = options.Value.CacheFrozenFeatures,
            HeadLearningRate = parent.Training.HeadLearningRate * options.Value.LearningRateScale,
            BackboneLearningRate = parent.Training.BackboneLearningRate * options.Value.LearningRateScale,
        };
        var staging = models.NewStagingDirectory(work.JobId);
        try
        {
            var card = new ModelTrainingPipeline(time).Run(
                new TrainingRequest
                {
                    Train = splits.Train,
                    Validation = splits.Validation,
                    ValidationViews = splits.ValidationViews,
                    ViewsChooseEpoch = options.Value.ViewsChooseEpoch,
                    Test = splits.Test.Count > 0 ? splits.Test : null,
                    Options = trainingOptions,
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
            progress.Report(new TrainingProgress("gating", work.Epochs, work.Epochs, 0, 0, 1, 0, 0, null, TimeSpan.Zero, null));
            var report = gate.Evaluate(new ModelOnDisk(card.Version, published), work.Parent, work.Gate, cancellationToken);
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
