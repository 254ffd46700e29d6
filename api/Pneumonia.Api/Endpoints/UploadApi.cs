using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Pneumonia.Abstractions;
using Pneumonia.Api.Contracts;
using Pneumonia.Api.Security;
using Pneumonia.Api.Uploads;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Data.Uploads;

namespace Pneumonia.Api.Endpoints;

/// <summary><c>POST /upload</c>: images and .zip archives into the dataset, as one batch that is never deleted.</summary>
public static class UploadApi
{
    public static IEndpointRouteBuilder MapUploadApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/upload").WithTags("Dataset").DisableAntiforgery().RequireApiKey()
            .MapPost("", UploadAsync).AcceptsForm(MultipartFormContract.Upload)
            .WithSummary("Adds images and/or .zip archives (multipart field 'files'); archive folders NORMAL/PNEUMONIA give labels, the form field 'label' labels loose images.");
        return app;
    }

    internal static async Task<Results<Ok<UploadResponse>, ProblemHttpResult>> UploadAsync(
        IFormFileCollection files,
        [FromForm] string? label,
        UploadProcessor processor,
        CancellationToken cancellationToken)
    {
        if (files.Count == 0)
        {
            return TypedResults.Problem("The request holds no files; send images or .zip archives in the multipart field 'files'.",
                statusCode: StatusCodes.Status400BadRequest);
        }

        ImageLabel? looseLabel = null;
        if (!string.IsNullOrWhiteSpace(label))
        {
            if (!LabelNames.TryParse(label.Trim(), out var parsed))
            {
                return TypedResults.Problem("The form field 'label' must be NORMAL or PNEUMONIA (or absent for unlabelled images).",
                    statusCode: StatusCodes.Status400BadRequest);
            }

            looseLabel = parsed;
        }

        var streams = new List<Stream>();
        try
        {
            var sources = files.Select(file =>
            {
                var stream = file.OpenReadStream();
                streams.Add(stream);
                return new UploadSource(DisplayName.OfFile(file.FileName), stream);
            });
            var batchId = processor.NewBatchId("upload");
            var outcome = await processor.ProcessAsync(batchId, batchId, processor.CreateReader().Read(sources, looseLabel), useSplitFolders: false, cancellationToken, checkDistribution: true);
            return ToResult(outcome);
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    /// <summary>200 when anything was added or already known; otherwise a 4xx ProblemDetails naming each problem.</summary>
    internal static Results<Ok<UploadResponse>, ProblemHttpResult> ToResult(UploadOutcome outcome)
    {
        var batch = outcome.Batch;
        var accepted = batch.Files.Where(f => f.Status == UploadFileStatus.Accepted).ToList();
        var files = batch.Files.Select(f => new UploadedFile(
            f.Name, f.Status.ToString().ToLowerInvariant(), f.Sha256, f.Status == UploadFileStatus.Rejected ? null : f.Label.ToApiName(), f.Reason,
            f.ModelProbability, f.Disputed)).ToList();
        if (batch.Accepted + batch.Duplicates > 0)
        {
            return TypedResults.Ok(new UploadResponse(
                "ok", batch.BatchId, batch.Accepted, batch.Duplicates, outcome.Rejected,
                accepted.Count(f => f.Label == ImageLabel.Normal),
                accepted.Count(f => f.Label == ImageLabel.Pneumonia),
                accepted.Count(f => f.Label is null),
                files,
                (batch.Screen is { Held: true } ? BatchTrainingUse.HeldForReview : BatchTrainingUse.Used).ToApiName(),
                batch.Screen?.ToDto(),
                outcome.OutOfDistribution));
        }

        var codes = outcome.Rejected.Select(r => r.Code).Distinct().ToList();
        var status = codes.Count == 1 ? StatusFor(codes[0]) : StatusCodes.Status400BadRequest;
        var detail = outcome.Rejected.Count == 1
            ? $"{outcome.Rejected[0].Name}: {outcome.Rejected[0].Reason}"
            : $"None of the {outcome.Rejected.Count} files was added: " +
              string.Join("; ", outcome.Rejected.Take(5).Select(r => $"{r.Name}: {r.Reason}")) + (outcome.Rejected.Count > 5 ? "; ..." : string.Empty);
        return TypedResults.Problem(detail, statusCode: status, title: "Nothing was added",
            extensions: new Dictionary<string, object?>
            {
                ["batch_id"] = batch.BatchId,
                ["accepted"] = 0,
                ["duplicates"] = 0,
                ["rejected"] = outcome.Rejected,
            });
    }

    private static int StatusFor(string code) => code switch
    {
        nameof(UploadRejectionReason.TooLarge) or nameof(UploadRejectionReason.ArchiveTooLarge) or nameof(UploadRejectionReason.TooManyEntries)
            => StatusCodes.Status413PayloadTooLarge,
        UploadProcessor.TrailingDataCode => StatusCodes.Status422UnprocessableEntity,
        _ => PredictionApi.StatusFor(code),
    };
}
