using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Api.Endpoints;
using Pneumonia.Api.Hosting;
using Pneumonia.Api.Monitoring;
using Pneumonia.Ml.Evaluation;

namespace Pneumonia.Api.Uploads;

/// <summary>A labelled upload image to screen: its hash, bytes and the uploader's label.</summary>
public sealed record LabelledUpload(string Sha256, string Name, byte[] Bytes, ImageLabel Label);

/// <summary>
/// The label-quality screen of an upload (see <see cref="LabelScreening"/>): the production model, through the
/// prediction grains, scores every labelled image; the result flags disputed labels and may hold the batch out of
/// training. The expected dispute rates come from the production model's own validation report.
/// </summary>
public sealed class LabelScreener(IGrainFactory grains, IOptions<PneumoniaApiOptions> options, ApiMetrics metrics, ILogger<LabelScreener> logger)
{
    private const int ImagesPerCall = 32;
    private static readonly LabelScreenRules Rules = new();
    private readonly ConcurrentDictionary<string, (double Normal, double Pneumonia)> _expectedRates = new(StringComparer.Ordinal);

    /// <summary>The screen of <paramref name="uploads"/>, or null when there is nothing to screen or no model to screen with.</summary>
    /// <param name="answered">
    /// Told each image's prediction as it comes: it carries the out-of-distribution check too, so an upload that wants
    /// both classifies its labelled images once.
    /// </param>
    public async Task<LabelScreen?> ScreenAsync(
        IReadOnlyList<LabelledUpload> uploads, CancellationToken cancellationToken, Action<LabelledUpload, PredictionResult>? answered = null)
    {
        if (uploads.Count == 0)
        {
            return null;
        }

        var probabilities = new double[uploads.Count];
        string? version = null;
        for (var start = 0; start < uploads.Count; start += ImagesPerCall)
        {
            var chunk = uploads.Skip(start).Take(ImagesPerCall).Select(u => new NamedImage(u.Name, u.Bytes)).ToList();
            // As /predict/batch does: a pass of 32 images takes longer than one image's attempt timeout.
            var attemptTimeout = options.Value.PredictionAttemptTimeout * Math.Ceiling(chunk.Count / 8.0);
            var outcomes = await PredictionCalls.CallAsync(grains, grain => grain.PredictBatchAsync(chunk), attemptTimeout, metrics, cancellationToken);
            for (var i = 0; i < outcomes.Count; i++)
            {
                // Every image here was decoded and accepted already; a missing answer means no model to screen with.
                if (outcomes[i].Result is not { } result)
                {
                    logger.LogWarning("The label screen got no prediction for {Name} ({Error}): the batch is not screened", outcomes[i].Name, outcomes[i].Error);
                    return null;
                }

                probabilities[start + i] = result.Probability;
                version ??= result.ModelVersion;
                answered?.Invoke(uploads[start + i], result);
            }
        }

        var rates = await ExpectedRatesAsync(version!);
        var screen = LabelScreening.Assess(
            [.. uploads.Select((u, i) => new ScreenedImage(u.Label == ImageLabel.Pneumonia, probabilities[i]))], rates, Rules);
        var checks = uploads.Select((u, i) => new LabelCheck(u.Sha256, probabilities[i], screen.Disputed[i])).ToList();
        return new LabelScreen(
            new LabelScreenSummary(version!, uploads.Count, screen.DisputedCount, screen.ExpectedRate, screen.Hold, screen.Reason), checks);
    }

    private async Task<(double Normal, double Pneumonia)> ExpectedRatesAsync(string version)
    {
        if (_expectedRates.TryGetValue(version, out var cached))
        {
            return cached;
        }

        var info = await grains.GetGrain<IModelVersionGrain>(version).GetAsync()
            ?? throw new InvalidOperationException($"Model {version} answered but is not registered.");
        return _expectedRates[version] = LabelScreening.ExpectedRates(info.Card.Validation, Rules);
    }
}
