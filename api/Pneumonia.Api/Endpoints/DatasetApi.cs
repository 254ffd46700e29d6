using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Api.Contracts;
using Pneumonia.Api.Hosting;
using Pneumonia.Api.Security;
using Pneumonia.Api.Uploads;
using Pneumonia.Grains.Hosting;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Data.Uploads;
using Pneumonia.Ml.Images;

namespace Pneumonia.Api.Endpoints;

/// <summary>Dataset statistics for charts, and the admin import of a server-side folder or .zip.</summary>
public static class DatasetApi
{
    internal const int HistogramBins = 32;
    internal const int MaxSamplesPerLabel = DatasetLimits.MaxSamplesPerLabel;
    internal const int DefaultPageLimit = 100;

    public static IEndpointRouteBuilder MapDatasetApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/dataset").WithTags("Dataset");
        group.MapGet("/stats", StatsAsync).WithSummary("Counts per split and label, image sizes and the upload batches.");
        // Thumbnails are patients' X-rays: behind the key like the writes, when a key is set.
        group.MapGet("/samples", SamplesAsync).RequireApiKey()
            .WithSummary("A fixed sample per label: thumbnails (PNG, base64) and intensity histograms. Needs the X-API-Key header when a key is configured.");
        // Image records name files and patients: behind the key like the thumbnails.
        group.MapGet("/images", ImagesAsync).RequireApiKey()
            .WithSummary("The labelled images, a page at a time: pass each answer's next_cursor as cursor until it is null. Needs the X-API-Key header when a key is configured.");
        group.MapPost("/batches/{id}/confirm", ConfirmAsync).RequireApiKey()
            .WithSummary("Confirms the labels of a batch the label screen held for review: from now on it is trained on.");

        app.MapGroup("/admin").WithTags("Admin").RequireApiKey()
            .MapPost("/import", ImportAsync)
            .WithSummary("Imports a folder or .zip under the configured import directory (split/LABEL/image layout or LABEL folders).");
        return app;
    }

    internal static async Task<Ok<DatasetStatsResponse>> StatsAsync(IGrainFactory grains)
    {
        var dataset = grains.GetGrain<IDatasetGrain>(WellKnownKeys.Default);
        var statistics = await dataset.GetStatisticsAsync();
        var readiness = await dataset.GetTrainingReadinessAsync();
        // From the grain's counters: no image rows cross the cluster for this answer.
        var sizes = statistics.LabelledSizes is { } s
            ? new ImageSizeStatistics(s.Images, Describe(s.Width), Describe(s.Height), Describe(s.Bytes))
            : null;
        return TypedResults.Ok(new DatasetStatsResponse(
            statistics.TotalImages,
            statistics.TotalBytes,
            [.. statistics.Counts.Select(c => new SplitLabelCountDto(c.Split.ToApiName(), c.Label.ToApiName(), c.Images, c.Bytes))],
            sizes,
            [.. statistics.Batches.Select(b => b.ToDto())],
            statistics.GateSet is { } gate ? new GateSetDto(gate.Version, gate.Normal, gate.Pneumonia, gate.Rule) : null,
            statistics.BaseData?.ToDto(),
            new TrainingDataDto(readiness.TrainNormal, readiness.TrainPneumonia, readiness.HeldOutImages)));
    }

    internal static async Task<Results<Ok<BatchSummaryDto>, ProblemHttpResult>> ConfirmAsync(string id, IGrainFactory grains)
    {
        var batch = Names.IsValidKey(id) ? await grains.GetGrain<IDatasetGrain>(WellKnownKeys.Default).ConfirmBatchAsync(id) : null;
        return batch is null
            ? TypedResults.Problem($"There is no batch '{DisplayName.Of(id)}'; GET /dataset/stats lists them.", statusCode: StatusCodes.Status404NotFound, title: "Unknown batch")
            : TypedResults.Ok(batch.ToDto());
    }

    internal static async Task<Results<Ok<DatasetSamplesResponse>, ValidationProblem>> SamplesAsync(
        IGrainFactory grains, IImageStore store, XrayImageDecoder inputDecoder, CancellationToken cancellationToken,
        [FromQuery(Name = "per_label")] int perLabel = 4)
    {
        if (perLabel is < 1 or > MaxSamplesPerLabel)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]>
            {
                ["per_label"] = [$"per_label must be between 1 and {MaxSamplesPerLabel}; got {perLabel}."],
            });
        }

        var labelled = await grains.GetGrain<IDatasetGrain>(WellKnownKeys.Default).GetSampleAsync(perLabel);
        // Stored images passed the input limits of their day; a thumbnail of one refused by today's still helps.
        var decoder = new XrayImageDecoder(inputDecoder.Limits.WithAnyShape());
        var samples = new List<SampleImageDto>();
        var histograms = new List<LabelHistogramDto>();
        foreach (var group in labelled.GroupBy(i => i.Label).OrderBy(g => g.Key))
        {
            var total = new long[HistogramBins];
            var count = 0;
            foreach (var record in group)
            {
                if (!store.Contains(record.Sha256))
                {
                    continue;
                }

                using var image = decoder.DecodeGrey(await store.ReadAsync(record.Sha256, cancellationToken));
                var summary = ImageSummary.Of(image, bins: HistogramBins);
                for (var b = 0; b < HistogramBins; b++)
                {
                    total[b] += summary.Histogram[b];
                }

                count++;
                samples.Add(new SampleImageDto(record.Sha256, record.Label.ToApiName(), record.Split.ToApiName(), summary.Width, summary.Height,
                    Convert.ToBase64String(summary.ThumbnailPng), summary.Histogram));
            }

            var sum = Math.Max(1, total.Sum());
            histograms.Add(new LabelHistogramDto(group.Key.ToApiName(), count, [.. total.Select(t => Math.Round((double)t / sum, 6))]));
        }

        return TypedResults.Ok(new DatasetSamplesResponse(HistogramBins, histograms, samples));
    }

    internal static async Task<Results<Ok<UploadResponse>, ProblemHttpResult>> ImportAsync(
        string path,
        UploadProcessor processor,
        IOptions<PneumoniaApiOptions> options,
        IHostEnvironment environment,
        CancellationToken cancellationToken,
        string? source = null)
    {
        if (options.Value.ImportDirectory is not { Length: > 0 } configured)
        {
            return TypedResults.Problem("Server-side imports are disabled: Pneumonia:Api:ImportDirectory is not set.", statusCode: StatusCodes.Status404NotFound);
        }

        if (source is not null && !Names.IsValidKey(source))
        {
            return TypedResults.Problem("source must be 1-128 letters, digits, '-', '_' or '.'.", statusCode: StatusCodes.Status400BadRequest);
        }

        // A NUL or another character no file name may hold cannot name anything in the import directory.
        if (path.Any(c => char.IsControl(c)) || path.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            return TypedResults.Problem("path holds a control character; send a relative path inside the import directory, e.g. path=chest_xray.",
                statusCode: StatusCodes.Status400BadRequest, extensions: new Dictionary<string, object?> { ["field"] = "path" });
        }

        // The path is the client's, so it is only ever resolved inside the import directory, and errors never show the server path.
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(configured, environment.ContentRootPath));
        var full = Path.GetFullPath(Path.Combine(root, path));
        var shown = DisplayName.Of(path);
        if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(path))
        {
            return TypedResults.Problem($"'{shown}' is not a relative path inside the import directory.", statusCode: StatusCodes.Status400BadRequest);
        }

        var reader = processor.CreateReader();
        var batchId = processor.NewBatchId("import");
        if (Directory.Exists(full))
        {
            return UploadApi.ToResult(await processor.ProcessAsync(batchId, source ?? batchId, reader.ReadFolder(full), useSplitFolders: true, cancellationToken));
        }

        if (!File.Exists(full))
        {
            return TypedResults.Problem($"There is no folder or file '{shown}' in the import directory.", statusCode: StatusCodes.Status404NotFound);
        }

        await using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 81_920);
        var items = reader.Read([new UploadSource(Path.GetFileName(full), stream)], looseLabel: null);
        return UploadApi.ToResult(await processor.ProcessAsync(batchId, source ?? batchId, items, useSplitFolders: true, cancellationToken));
    }

    internal static async Task<Results<Ok<ImagePageResponse>, ValidationProblem>> ImagesAsync(
        IGrainFactory grains, IOptions<DatasetOptions> options, int limit = DefaultPageLimit, string? cursor = null)
    {
        var maxLimit = options.Value.MaxPageSize;
        var errors = new Dictionary<string, string[]>();
        if (limit < 1 || limit > maxLimit)
        {
            errors["limit"] = [$"limit must be between 1 and {maxLimit}; got {limit}. Ask for more pages instead of a larger one."];
        }

        DatasetCursor? after = null;
        if (cursor is not null && !DatasetCursor.TryParse(cursor, out after))
        {
            errors["cursor"] = [$"cursor '{DisplayName.Of(cursor)}' is not one this API wrote; send the next_cursor of the previous page, or no cursor to start."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, detail: string.Join(" ", errors.Values.SelectMany(e => e)));
        }

        var page = await grains.GetGrain<IDatasetGrain>(WellKnownKeys.Default).GetLabelledImagesAsync(after, limit);
        return TypedResults.Ok(new ImagePageResponse([.. page.Images.Select(i => i.ToDto())], page.Next?.ToString()));
    }

    private static Distribution Describe(ValueSummary value) => new(value.Min, value.Median, Math.Round(value.Mean, 2), value.Max);
}
