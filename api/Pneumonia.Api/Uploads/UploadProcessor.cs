using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Api.Contracts;
using Pneumonia.Api.Hosting;
using Pneumonia.Api.Monitoring;
using Pneumonia.Grains.Hosting;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Data.Uploads;
using Pneumonia.Ml.Images;

namespace Pneumonia.Api.Uploads;

/// <summary>What one upload (or server-side import) did: the batch as the dataset recorded it, and every rejection with its code.</summary>
public sealed record UploadOutcome(UploadBatch Batch, IReadOnlyList<RejectedFile> Rejected);

/// <summary>
/// Checks uploaded images and adds them to the dataset: each candidate from the <see cref="UploadReader"/> is decoded
/// (size, pixel and format limits), its bytes are stored in the content-addressed image store the grains read (<c>Pneumonia:Data:DataDirectory/images</c>), and
/// the batch is recorded by the dataset grain, which decides what is new and what is a duplicate. Stored bytes are
/// never deleted. Thread-safe.
/// </summary>
public sealed class UploadProcessor(
    IGrainFactory grains,
    IImageStore store,
    IOptions<PneumoniaApiOptions> options,
    IOptions<ImageInputOptions> imageOptions,
    TimeProvider time,
    ApiMetrics metrics)
{
    private readonly XrayImageDecoder _decoder = new(imageOptions.Value.ToLimits(options.Value.MaxImageBytes));

    /// <summary>A reader with the configured per-image, per-archive and per-request limits.</summary>
    public UploadReader CreateReader() => new(new UploadLimits(
        options.Value.MaxImageBytes, options.Value.MaxZipEntries, options.Value.MaxZipUncompressedBytes));

    /// <summary>A new, unique batch id such as <c>upload-20261126-061500-3fa9c2d1</c>.</summary>
    public string NewBatchId(string prefix) => $"{prefix}-{time.GetUtcNow():yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// Validates and stores every candidate of <paramref name="items"/>, then records the batch. With
    /// <paramref name="useSplitFolders"/> (server-side imports) a <c>train</c>/<c>val</c>/<c>test</c> folder decides the
    /// split; uploads always go to the training data.
    /// </summary>
    public async Task<UploadOutcome> ProcessAsync(
        string batchId, string source, IEnumerable<UploadItem> items, bool useSplitFolders, CancellationToken cancellationToken)
    {
        var candidates = new List<ImageRecord>();
        var rejected = new List<RejectedFile>();
        foreach (var item in items)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = DisplayName.Of(item.Name);
            if (item is UploadRejection rejection)
            {
                rejected.Add(new RejectedFile(name, rejection.Message, rejection.Reason.ToString()));
                continue;
            }

            var candidate = (UploadCandidate)item;
            int width, height;
            try
            {
                using var image = _decoder.DecodeGrey(candidate.Bytes);
                (width, height) = (image.Width, image.Height);
            }
            catch (InvalidImageException ex)
            {
                rejected.Add(new RejectedFile(name, ex.Message, ex.Reason.ToString()));
                continue;
            }

            var stored = await store.PutAsync(candidate.Bytes, cancellationToken);
            var split = useSplitFolders ? ToContract(candidate.Split ?? DatasetSplit.Train) : ImageSplit.Train;
            candidates.Add(new ImageRecord(
                stored.Sha256, ToContract(candidate.Label), split, source, name, stored.SizeBytes, width, height,
                PatientId.FromFileName(name.Split('/', '\\')[^1]), time.GetUtcNow()));
        }

        var rejectedResults = rejected.Select(r => new UploadFileResult(r.Name, UploadFileStatus.Rejected, null, null, r.Reason)).ToList();
        var batch = await grains.GetGrain<IDatasetGrain>(WellKnownKeys.Default).AddBatchAsync(batchId, source, candidates, rejectedResults);
        metrics.UploadedFiles.WithLabels("accepted").Inc(batch.Accepted);
        metrics.UploadedFiles.WithLabels("duplicate").Inc(batch.Duplicates);
        metrics.UploadedFiles.WithLabels("rejected").Inc(rejected.Count);
        return new UploadOutcome(batch, rejected);
    }

    private static ImageLabel? ToContract(XrayLabel? label) => label switch
    {
        XrayLabel.Normal => ImageLabel.Normal,
        XrayLabel.Pneumonia => ImageLabel.Pneumonia,
        _ => null,
    };

    private static ImageSplit ToContract(DatasetSplit split) => split switch
    {
        DatasetSplit.Validation => ImageSplit.Validation,
        DatasetSplit.Test => ImageSplit.Test,
        _ => ImageSplit.Train,
    };
}

/// <summary>Client-supplied names made safe to show: no control characters, bounded length. Never used as paths.</summary>
public static class DisplayName
{
    private const int MaxLength = 256;

    public static string Of(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "(unnamed)";
        }

        var clean = new string([.. name.Where(c => !char.IsControl(c))]).Trim();
        return clean.Length == 0 ? "(unnamed)" : clean.Length <= MaxLength ? clean : clean[..MaxLength];
    }

    /// <summary>The last segment of a client file name (some clients send a whole path).</summary>
    public static string OfFile(string? fileName) => Of(fileName?.Split('/', '\\')[^1]);
}

public static class UploadExtensions
{
    public static WebApplicationBuilder AddPneumoniaUploads(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddPneumoniaImageInput();
        builder.Services.AddSingleton<UploadProcessor>();
        return builder;
    }
}
