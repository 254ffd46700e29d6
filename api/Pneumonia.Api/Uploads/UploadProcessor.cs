using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Api.Contracts;
using Pneumonia.Api.Endpoints;
using Pneumonia.Api.Hosting;
using Pneumonia.Api.Monitoring;
using Pneumonia.Grains.Hosting;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Data.Uploads;
using Pneumonia.Ml.Images;

namespace Pneumonia.Api.Uploads;

/// <summary>What one upload (or server-side import) did: the batch as the dataset recorded it, and every rejection with its code.</summary>
/// <param name="OutOfDistribution">
/// The stored images the production model's out-of-distribution check flagged (kept all the same); null when the
/// check did not run (a server-side import, no production model, or a model without the check).
/// </param>
public sealed record UploadOutcome(UploadBatch Batch, IReadOnlyList<RejectedFile> Rejected, IReadOnlyList<OutOfDistributionFile>? OutOfDistribution = null);

/// <summary>
/// Checks uploaded images and adds them to the dataset: each candidate from the <see cref="UploadReader"/> is decoded
/// (size, pixel and format limits), its bytes are stored in the content-addressed image store the grains read (<c>Pneumonia:Data:DataDirectory/images</c>), and
/// the batch is recorded by the dataset grain, which decides what is new and what is a duplicate. Stored bytes are
/// never deleted. Thread-safe.
/// </summary>
public sealed class UploadProcessor(
    IGrainFactory grains,
    IImageStore store,
    LabelScreener screener,
    IOptions<PneumoniaApiOptions> options,
    XrayImageDecoder decoder,
    TimeProvider time,
    ApiMetrics metrics)
{
    /// <summary>The rejection code of an image followed by bytes that are not part of it (422).</summary>
    public const string TrailingDataCode = "TrailingData";

    /// <summary>A reader with the configured per-image, per-archive and per-request limits.</summary>
    public UploadReader CreateReader() => new(new UploadLimits(
        options.Value.MaxImageBytes, options.Value.MaxZipEntries, options.Value.MaxZipUncompressedBytes));

    /// <summary>A new, unique batch id such as <c>upload-20261126-061500-3fa9c2d1</c>.</summary>
    public string NewBatchId(string prefix) => $"{prefix}-{time.GetUtcNow():yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// Validates and stores every candidate of <paramref name="items"/>, then records the batch. With
    /// <paramref name="useSplitFolders"/> (server-side imports) a <c>train</c>/<c>val</c>/<c>test</c> folder decides the
    /// split; uploads always go to the training data. Labelled images are screened by the production model
    /// (<see cref="LabelScreener"/>) when <paramref name="screenLabels"/> is set.
    /// </summary>
    /// <remarks>
    /// With <paramref name="checkDistribution"/> each stored image also goes through the production model's
    /// out-of-distribution check, in batches of <see cref="DistributionCheckBatch"/> as the upload is read; the images
    /// it flags are listed in the outcome, never refused (a rare but real X-ray may look unusual).
    /// </remarks>
    public async Task<UploadOutcome> ProcessAsync(
        string batchId, string source, IEnumerable<UploadItem> items, bool useSplitFolders, CancellationToken cancellationToken, bool screenLabels = true,
        bool checkDistribution = false)
    {
        var candidates = new List<ImageRecord>();
        var labelled = new List<LabelledUpload>();
        var screened = new HashSet<string>(StringComparer.Ordinal);
        var rejected = new List<RejectedFile>();
        var check = checkDistribution ? new OutOfDistributionFlags(grains, options.Value, metrics) : null;
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
                using var image = decoder.DecodeGrey(candidate.Bytes);
                (width, height) = (image.Width, image.Height);
            }
            catch (InvalidImageException ex)
            {
                rejected.Add(new RejectedFile(name, ex.Message, ex.Reason.ToString()));
                continue;
            }

            if (TrailingData(candidate.Bytes) is { } trailing)
            {
                rejected.Add(new RejectedFile(name, trailing, TrailingDataCode));
                continue;
            }

            var stored = await store.PutAsync(candidate.Bytes, cancellationToken);
            var split = useSplitFolders ? candidate.Split ?? ImageSplit.Train : ImageSplit.Train;
            var record = new ImageRecord(
                stored.Sha256, candidate.Label, split, source, name, stored.SizeBytes, width, height,
                PatientId.FromFileName(name.Split('/', '\\')[^1]), time.GetUtcNow());
            candidates.Add(record);
            if (screenLabels && record.Label is { } label && screened.Add(record.Sha256))
            {
                // The screen's predictions carry the out-of-distribution check: not classified a second time.
                labelled.Add(new LabelledUpload(record.Sha256, name, candidate.Bytes, label));
            }
            else if (check is not null)
            {
                await check.AddAsync(name, stored.Sha256, candidate.Bytes, cancellationToken);
            }
        }

        var screen = await screener.ScreenAsync(labelled, cancellationToken, check is null ? null : (upload, result) => check.Record(upload.Name, upload.Sha256, result));
        var rejectedResults = rejected.Select(r => new UploadFileResult(r.Name, UploadFileStatus.Rejected, null, null, r.Reason)).ToList();
        var batch = await grains.GetGrain<IDatasetGrain>(WellKnownKeys.Default).AddBatchAsync(batchId, source, candidates, rejectedResults, screen);
        metrics.Uploaded("accepted", batch.Accepted);
        metrics.Uploaded("duplicate", batch.Duplicates);
        metrics.Uploaded("rejected", rejected.Count);
        var flagged = check is null ? null : await check.FlaggedAsync(cancellationToken);
        // Listed in upload order (the screened images' flags arrive after the others').
        var position = candidates.Select((c, i) => (c.Sha256, i)).DistinctBy(p => p.Sha256).ToDictionary(p => p.Sha256, p => p.i, StringComparer.Ordinal);
        return new UploadOutcome(batch, rejected, flagged is null ? null : [.. flagged.OrderBy(f => position[f.Sha256])]);
    }

    /// <summary>How many stored images one out-of-distribution check call carries.</summary>
    public const int DistributionCheckBatch = 16;

    // Collects stored images and classifies them in batches on a prediction grain, keeping only the flags: an upload
    // of thousands of images never holds more than one batch of them in memory.
    private sealed class OutOfDistributionFlags(IGrainFactory grains, PneumoniaApiOptions options, ApiMetrics metrics)
    {
        private readonly List<(string Name, string Sha256, byte[] Bytes)> _pending = [];
        private readonly List<OutOfDistributionFile> _flagged = [];
        private bool _available = true;

        public async Task AddAsync(string name, string sha256, byte[] bytes, CancellationToken cancellationToken)
        {
            if (!_available)
            {
                return;
            }

            _pending.Add((name, sha256, bytes));
            if (_pending.Count == DistributionCheckBatch)
            {
                await RunAsync(cancellationToken);
            }
        }

        /// <summary>Notes one image's answer (from this check's calls or the label screen's).</summary>
        public void Record(string name, string sha256, PredictionResult result)
        {
            if (result.OutOfDistribution is null)
            {
                _available = false; // the production model carries no detector
            }
            else if (result.OutOfDistribution == true)
            {
                _flagged.Add(new OutOfDistributionFile(name, sha256, Math.Round(result.OutOfDistributionScore!.Value, 4), Math.Round(result.OutOfDistributionThreshold!.Value, 4)));
            }
        }

        public async Task<IReadOnlyList<OutOfDistributionFile>?> FlaggedAsync(CancellationToken cancellationToken)
        {
            if (_available && _pending.Count > 0)
            {
                await RunAsync(cancellationToken);
            }

            return _available ? _flagged : null;
        }

        private async Task RunAsync(CancellationToken cancellationToken)
        {
            NamedImage[] batch = [.. _pending.Select(p => new NamedImage(p.Name, p.Bytes))];
            try
            {
                var timeout = options.PredictionAttemptTimeout * Math.Ceiling(batch.Length / 8.0);
                var outcomes = await PredictionCalls.CallAsync(grains, grain => grain.PredictBatchAsync(batch), timeout, metrics, cancellationToken);
                for (var i = 0; i < outcomes.Count; i++)
                {
                    // No result: refused by the model's decoder, though stored; not this check's business.
                    if (outcomes[i].Result is { } result)
                    {
                        Record(_pending[i].Name, _pending[i].Sha256, result);
                    }
                }
            }
            catch (NoModelLoadedException)
            {
                _available = false; // no production model yet
            }
            finally
            {
                _pending.Clear();
            }
        }
    }

    /// <summary>
    /// Refused rather than stored cut at the image's end: what is stored is byte for byte what the client sent (its
    /// hash is the client's file's), and a file with a payload appended is not an X-ray export to keep silently.
    /// </summary>
    private static string? TrailingData(byte[] bytes) =>
        ImageEnd.Find(bytes) is { } end && end < bytes.Length
            ? $"The image ends at byte {end:N0} of {bytes.Length:N0}: {bytes.Length - end:N0} bytes after its end are not part of it. "
              + "Send the image file alone, without appended data."
            : null;
}

/// <summary>
/// Client-supplied names made safe to show: no control or invisible formatting characters (bidi overrides such as
/// U+202E that make "gpj.exe" read "exe.jpg", zero-width characters, line and paragraph separators, lone
/// surrogates), bounded length. Never used as paths.
/// </summary>
public static class DisplayName
{
    private const int MaxLength = 256;

    public static string Of(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "(unnamed)";
        }

        var clean = new string([.. name.Where(IsShown)]).Trim();
        return clean.Length == 0 ? "(unnamed)" : clean.Length <= MaxLength ? clean : clean[..MaxLength];
    }

    private static bool IsShown(char c) => char.GetUnicodeCategory(c) is not (
        System.Globalization.UnicodeCategory.Control
        or System.Globalization.UnicodeCategory.Format
        or System.Globalization.UnicodeCategory.LineSeparator
        or System.Globalization.UnicodeCategory.ParagraphSeparator
        or System.Globalization.UnicodeCategory.Surrogate
        or System.Globalization.UnicodeCategory.PrivateUse
        or System.Globalization.UnicodeCategory.OtherNotAssigned);

    /// <summary>The last segment of a client file name (some clients send a whole path).</summary>
    public static string OfFile(string? fileName) => Of(fileName?.Split('/', '\\')[^1]);
}

public static class UploadExtensions
{
    public static WebApplicationBuilder AddPneumoniaUploads(this WebApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddPneumoniaImageInput();
        // The front end's per-image request limits are the decoder's (Pneumonia:Images:MaxFileBytes), as in the silos.
        builder.Services.AddOptions<PneumoniaApiOptions>()
            .PostConfigure<IOptions<ImageInputOptions>>((api, images) => api.MaxImageBytes = images.Value.MaxFileBytes);
        builder.Services.AddSingleton<UploadProcessor>();
        builder.Services.AddSingleton<LabelScreener>();
        builder.Services.AddSingleton<UploadSpool>();
        // Keys (antiforgery, cookies, if anything asks) live in the data directory, not in $HOME/.aspnet.
        builder.Services.AddDataProtection();
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IOptions<PneumoniaDataOptions>, ILoggerFactory>((keys, data, logs) =>
            keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(data.Value.DataDirectory, "data-protection-keys")), logs));
        return builder;
    }
}
