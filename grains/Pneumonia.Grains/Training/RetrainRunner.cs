using Microsoft.Extensions.Options;
using Pneumonia.Grains.Hosting;
using Pneumonia.Grains.Models;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Models;
using Pneumonia.Ml.Training;

namespace Pneumonia.Grains.Training;

/// <summary>What one retrain needs, gathered by the job grain in its own turn: metadata and paths only.</summary>
/// <param name="Images">The labelled catalogue (base data set and uploads).</param>
/// <param name="ParentDirectory">The production model directory (relative to the model store) to fine-tune from.</param>
public sealed record RetrainWork(
    string JobId,
    IReadOnlyList<CatalogueEntry> Images,
    string ParentDirectory,
    int Epochs,
    int BatchSize,
    bool FineTune);

/// <summary>A trained, published model: its card and its directory relative to the model store.</summary>
public sealed record RetrainResult(ModelCard Card, string Directory);

/// <summary>
/// Turns a <see cref="RetrainWork"/> into a published model with the ML core: decode the splits from the image store,
/// run <see cref="ModelTrainingPipeline"/> from the parent model, publish <c>models/&lt;version&gt;</c>. Blocking:
/// call it on a training thread (<see cref="TrainingExecutor"/>), never in a grain turn.
/// </summary>
public sealed class RetrainRunner(
    IImageStore images,
    IModelStore models,
    XrayImageDecoder decoder,
    IOptions<RetrainOptions> options,
    IOptions<PredictionOptions> prediction,
    TimeProvider time)
{
    public RetrainResult Run(RetrainWork work, IProgress<TrainingProgress> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentNullException.ThrowIfNull(progress);
        var parentDirectory = models.PathOf(work.ParentDirectory);
        var parent = ModelPackage.ReadCard(parentDirectory);
        var preprocessor = new XrayPreprocessor(parent.Preprocessing, decoder);
        progress.Report(new TrainingProgress("loading", 0, work.Epochs, 0, 0, 0, 0, 0, null, TimeSpan.Zero, null));
        using var splits = TrainingSplits.Load(
            work.Images, images, preprocessor, options.Value.ValidationFraction, options.Value.SplitSeed, cancellationToken);

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
            return new RetrainResult(card, models.Publish(staging, card.Version));
        }
        catch
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }

            throw;
        }
    }
}
