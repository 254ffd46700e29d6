using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Api.Contracts;
using Pneumonia.Api.Hosting;
using Pneumonia.Api.Monitoring;
using Pneumonia.Api.Uploads;
using Pneumonia.Ml.Images;

namespace Pneumonia.Api.Endpoints;

/// <summary><c>POST /predict</c> and <c>POST /predict/batch</c>: classification by the prediction grain.</summary>
public static class PredictionApi
{
    private const string NoModel = "NoModel";

    public static IEndpointRouteBuilder MapPredictionApi(this IEndpointRouteBuilder app)
    {
        // No cookies are involved (the API key is a header), so antiforgery tokens would protect nothing here.
        var group = app.MapGroup("/predict").WithTags("Prediction").DisableAntiforgery();
        group.MapPost("", PredictAsync).AcceptsForm(MultipartFormContract.OneImage)
            .WithSummary("Classifies one chest X-ray (multipart field 'file', JPEG or PNG); ?heatmap=true adds a class-activation heatmap.");
        group.MapPost("/batch", PredictBatchAsync).AcceptsForm(MultipartFormContract.ImageBatch)
            .WithSummary("Classifies many X-rays (multipart field 'files'): one result or one error per file.");
        return app;
    }

    internal static async Task<Results<Ok<PredictionResponse>, ProblemHttpResult>> PredictAsync(
        IFormFile file,
        IGrainFactory grains,
        IOptions<PneumoniaApiOptions> options,
        ApiMetrics metrics,
        CancellationToken cancellationToken,
        bool heatmap = false)
    {
        var name = DisplayName.OfFile(file.FileName);
        var limit = options.Value.MaxImageBytes;
        if (file.Length > limit)
        {
            metrics.Predicted(nameof(InvalidImageReason.TooLarge), null);
            return ImageProblem(nameof(InvalidImageReason.TooLarge), $"The file is {file.Length:N0} bytes, over the limit of {limit:N0} bytes per image.", name);
        }

        var bytes = await ReadAsync(file, cancellationToken);
        PredictionOutcome outcome;
        try
        {
            outcome = await PredictionCalls.CallAsync(
                grains, grain => grain.PredictAsync(new NamedImage(name, bytes), heatmap), options.Value.PredictionAttemptTimeout, metrics, cancellationToken);
        }
        catch (NoModelLoadedException)
        {
            metrics.Predicted(NoModel, null);
            return NoModelProblem();
        }

        metrics.Predicted(outcome.ErrorCode ?? "ok", outcome.Result?.ModelVersion);
        if (outcome.Result is not { } result)
        {
            return ImageProblem(outcome.ErrorCode ?? "Unknown", outcome.Error ?? "The image could not be classified.", name);
        }

        metrics.PredictionTime(TimeSpan.FromMilliseconds(result.ElapsedMilliseconds));
        return TypedResults.Ok(new PredictionResponse(
            result.Label, result.Confidence, result.Probability, result.ModelVersion, result.Threshold,
            Math.Round(result.ElapsedMilliseconds, 2), result.HeatmapPng is { } png ? Convert.ToBase64String(png) : null,
            result.OutOfDistribution, Round(result.OutOfDistributionScore), Round(result.OutOfDistributionThreshold)));
    }

    internal static async Task<Results<Ok<BatchPredictionResponse>, ProblemHttpResult>> PredictBatchAsync(
        IFormFileCollection files,
        IGrainFactory grains,
        IOptions<PneumoniaApiOptions> options,
        ApiMetrics metrics,
        CancellationToken cancellationToken)
    {
        if (files.Count == 0)
        {
            return TypedResults.Problem("The request holds no files; send them in the multipart field 'files'.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (files.Count > options.Value.MaxBatchFiles)
        {
            return TypedResults.Problem(
                $"The request holds {files.Count} files, over the limit of {options.Value.MaxBatchFiles} per batch.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        var limit = options.Value.MaxImageBytes;
        var items = new BatchPredictionItem?[files.Count];
        var images = new List<(int Index, NamedImage Image)>();
        for (var i = 0; i < files.Count; i++)
        {
            var name = DisplayName.OfFile(files[i].FileName);
            if (files[i].Length > limit)
            {
                items[i] = Error(name, nameof(InvalidImageReason.TooLarge), $"The file is {files[i].Length:N0} bytes, over the limit of {limit:N0} bytes per image.");
                continue;
            }

            images.Add((i, new NamedImage(name, await ReadAsync(files[i], cancellationToken))));
        }

        if (images.Count > 0)
        {
            IReadOnlyList<PredictionOutcome> outcomes;
            try
            {
                NamedImage[] batch = [.. images.Select(x => x.Image)];
                // A batch legitimately takes longer than one image: its attempt may last one timeout per 8 images.
                var attemptTimeout = options.Value.PredictionAttemptTimeout * Math.Ceiling(batch.Length / 8.0);
                outcomes = await PredictionCalls.CallAsync(grains, grain => grain.PredictBatchAsync(batch), attemptTimeout, metrics, cancellationToken);
            }
            catch (NoModelLoadedException)
            {
                metrics.Predicted(NoModel, null, images.Count);
                return NoModelProblem();
            }

            for (var j = 0; j < images.Count; j++)
            {
                var outcome = outcomes[j];
                items[images[j].Index] = outcome.Result is { } r
                    ? new BatchPredictionItem(images[j].Image.Name, "ok", r.Label, r.Confidence, r.Probability, r.ModelVersion, r.Threshold, Math.Round(r.ElapsedMilliseconds, 2), null, null,
                        r.OutOfDistribution, Round(r.OutOfDistributionScore), Round(r.OutOfDistributionThreshold))
                    : Error(images[j].Image.Name, outcome.ErrorCode ?? "Unknown", outcome.Error ?? "The image could not be classified.");
            }
        }

        var results = items.Select(item => item!).ToList();
        foreach (var item in results)
        {
            metrics.Predicted(item.ErrorCode ?? "ok", item.ModelVersion);
        }

        var succeeded = results.Count(r => r.Status == "ok");
        return TypedResults.Ok(new BatchPredictionResponse(results.Count, succeeded, results.Count - succeeded, results));
    }

    /// <summary>
    /// The status for an image the model would not take: 413 too large, 415 not a JPEG/PNG, 422 too many pixels, too
    /// small or too elongated to be a chest film, 400 empty or damaged.
    /// </summary>
    internal static int StatusFor(string code) => code switch
    {
        nameof(InvalidImageReason.TooLarge) => StatusCodes.Status413PayloadTooLarge,
        nameof(InvalidImageReason.NotAnImage) or nameof(InvalidImageReason.UnsupportedFormat) => StatusCodes.Status415UnsupportedMediaType,
        nameof(InvalidImageReason.TooManyPixels) or nameof(InvalidImageReason.TooSmall) or nameof(InvalidImageReason.ExtremeAspectRatio)
            => StatusCodes.Status422UnprocessableEntity,
        nameof(InvalidImageReason.Empty) or nameof(InvalidImageReason.Corrupt) => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status400BadRequest,
    };

    // The grain's message may name server paths (why loading failed), so only this fixed text reaches the client.
    private static ProblemHttpResult NoModelProblem() =>
        TypedResults.Problem("No production model is loaded yet; GET /health says when one is.",
            statusCode: StatusCodes.Status503ServiceUnavailable, title: "Model not loaded",
            extensions: new Dictionary<string, object?> { ["code"] = NoModel });

    private static ProblemHttpResult ImageProblem(string code, string detail, string name) =>
        TypedResults.Problem(detail, statusCode: StatusFor(code), title: "The image was not classified",
            extensions: new Dictionary<string, object?> { ["code"] = code, ["name"] = name });

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 4) : null;

    private static BatchPredictionItem Error(string name, string code, string message) =>
        new(name, "error", null, null, null, null, null, null, code, message);

    private static async Task<byte[]> ReadAsync(IFormFile file, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
