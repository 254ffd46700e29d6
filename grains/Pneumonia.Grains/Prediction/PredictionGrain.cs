using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Hosting;
using Pneumonia.Grains.Placement;
using Pneumonia.Grains.Telemetry;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Grains.Prediction;

/// <summary>
/// Classifies X-rays with this silo's <see cref="ProductionModelHost"/>. A stateless, reentrant worker: it holds no
/// state, so one activation takes every concurrent call; each call decodes and preprocesses its image on its own
/// turn, then hands the pixels to the silo's <see cref="InferenceBatcher"/>, where concurrent calls share one
/// forward pass. The call holds its model lease until its answer is back, so a model switch never disposes a model
/// a queued request still needs, and every answer names the version that computed it.
/// </summary>
[StatelessWorker]
[SiloRolePlacementFilter(SiloRoles.Predictor)]
[Reentrant]
public sealed class PredictionGrain(ProductionModelHost host, InferenceBatcher batcher, IOptions<PredictionOptions> options, TimeProvider time, GrainMetrics metrics) : Grain, IPredictionGrain
{
    public async Task<PredictionOutcome> PredictAsync(NamedImage image, bool heatmap)
    {
        ArgumentNullException.ThrowIfNull(image);
        var started = time.GetTimestamp();
        if (options.Value.LoadModelPerRequest)
        {
            return PredictWithPrivateModel(image, started);
        }

        using var lease = host.Acquire();
        var predictor = lease.Predictor;
        try
        {
            if (heatmap)
            {
                // Decode and render happen inside too: the heatmap is rare and needs the decoded image twice.
                var (withMap, png) = await batcher.RunAsync(() => predictor.PredictWithHeatmap(image.Bytes));
                return new PredictionOutcome(image.Name, ToResult(withMap, time.GetElapsedTime(started), png), null, null);
            }

            var pixels = Decode(predictor, image);
            var prediction = await batcher.PredictAsync(predictor, pixels);
            return new PredictionOutcome(image.Name, ToResult(prediction, time.GetElapsedTime(started), null), null, null);
        }
        catch (InvalidImageException ex)
        {
            return Refused(image.Name, ex);
        }
    }

    public async Task<IReadOnlyList<PredictionOutcome>> PredictBatchAsync(IReadOnlyList<NamedImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var started = time.GetTimestamp();
        using var lease = host.Acquire();
        var predictor = lease.Predictor;
        var outcomes = new Task<PredictionOutcome>[images.Count];
        for (var i = 0; i < images.Count; i++)
        {
            outcomes[i] = PredictPreprocessed(images[i]);
        }

        // The batcher forms the forward passes (at most MaxBatchImages each), together with concurrent requests.
        return await Task.WhenAll(outcomes);

        async Task<PredictionOutcome> PredictPreprocessed(NamedImage image)
        {
            byte[] pixels;
            try
            {
                pixels = Decode(predictor, image);
            }
            catch (InvalidImageException ex)
            {
                return Refused(image.Name, ex);
            }

            var prediction = await batcher.PredictAsync(predictor, pixels);
            return new PredictionOutcome(image.Name, ToResult(prediction, time.GetElapsedTime(started), null), null, null);
        }
    }

    private PredictionOutcome PredictWithPrivateModel(NamedImage image, long started)
    {
        using var predictor = host.LoadPrivateCopy();
        try
        {
            var prediction = predictor.Predict(image.Bytes);
            return new PredictionOutcome(image.Name, ToResult(prediction, time.GetElapsedTime(started), null), null, null);
        }
        catch (InvalidImageException ex)
        {
            return Refused(image.Name, ex);
        }
    }

    private byte[] Decode(PneumoniaPredictor predictor, NamedImage image)
    {
        var started = time.GetTimestamp();
        var pixels = predictor.Preprocessor.LoadModelPixels(image.Bytes);
        metrics.Decoded(time.GetElapsedTime(started));
        return pixels;
    }

    private static PredictionOutcome Refused(string name, InvalidImageException ex) => new(name, null, ex.Reason.ToString(), ex.Message);

    private static PredictionResult ToResult(XrayPrediction prediction, TimeSpan elapsed, byte[]? heatmap) => new(
        prediction.Label, prediction.Confidence, prediction.Probability, prediction.Threshold, prediction.ModelVersion,
        elapsed.TotalMilliseconds, heatmap, prediction.Distribution?.IsOutOfDistribution, prediction.Distribution?.Score,
        prediction.Distribution?.Threshold);
}
