using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Hosting;
using Pneumonia.Grains.Placement;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Models;

namespace Pneumonia.Grains.Prediction;

/// <summary>
/// Classifies X-rays with this silo's <see cref="ProductionModelHost"/>. A stateless worker: Orleans runs as many
/// local activations as there are concurrent callers (up to the core count), all sharing the one loaded model.
/// </summary>
[StatelessWorker]
[SiloRolePlacementFilter(SiloRoles.Predictor)]
public sealed class PredictionGrain(ProductionModelHost host, IOptions<PredictionOptions> options, TimeProvider time) : Grain, IPredictionGrain
{
    public Task<PredictionOutcome> PredictAsync(NamedImage image, bool heatmap)
    {
        ArgumentNullException.ThrowIfNull(image);
        var started = time.GetTimestamp();
        using var lease = host.Acquire();
        var predictor = lease.Predictor;
        try
        {
            if (heatmap)
            {
                var (withMap, png) = predictor.PredictWithHeatmap(image.Bytes);
                return Task.FromResult(new PredictionOutcome(image.Name, ToResult(withMap, time.GetElapsedTime(started), png), null, null));
            }

            var prediction = predictor.Predict(image.Bytes);
            return Task.FromResult(new PredictionOutcome(image.Name, ToResult(prediction, time.GetElapsedTime(started), null), null, null));
        }
        catch (InvalidImageException ex)
        {
            return Task.FromResult(Refused(image.Name, ex));
        }
    }

    public Task<IReadOnlyList<PredictionOutcome>> PredictBatchAsync(IReadOnlyList<NamedImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var started = time.GetTimestamp();
        using var lease = host.Acquire();
        var predictor = lease.Predictor;
        var outcomes = new PredictionOutcome?[images.Count];
        var valid = new List<(int Index, byte[] Pixels)>();
        for (var i = 0; i < images.Count; i++)
        {
            try
            {
                valid.Add((i, predictor.Preprocessor.LoadModelPixels(images[i].Bytes)));
            }
            catch (InvalidImageException ex)
            {
                outcomes[i] = Refused(images[i].Name, ex);
            }
        }

        // One forward pass per chunk: batching is where the throughput is, the cap bounds the memory of one pass.
        foreach (var chunk in valid.Chunk(options.Value.MaxBatchImages))
        {
            var predictions = predictor.PredictPixels(chunk.Select(c => c.Pixels).ToList());
            var elapsed = time.GetElapsedTime(started);
            for (var j = 0; j < chunk.Length; j++)
            {
                var index = chunk[j].Index;
                outcomes[index] = new PredictionOutcome(images[index].Name, ToResult(predictions[j], elapsed, null), null, null);
            }
        }

        return Task.FromResult<IReadOnlyList<PredictionOutcome>>(outcomes.Select(o => o!).ToList());
    }

    private static PredictionOutcome Refused(string name, InvalidImageException ex) => new(name, null, ex.Reason.ToString(), ex.Message);

    private static PredictionResult ToResult(XrayPrediction prediction, TimeSpan elapsed, byte[]? heatmap) => new(
        prediction.Label, prediction.Confidence, prediction.Probability, prediction.Threshold, prediction.ModelVersion,
        elapsed.TotalMilliseconds, heatmap);
}
