using Microsoft.Extensions.Logging;
using Pneumonia.Abstractions;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Images;

namespace Pneumonia.Grains.Dataset;

/// <summary>
/// Imports a Kaggle-layout folder or .zip from the server's disk (for an admin endpoint, the start-up import of
/// <c>Pneumonia:Data:BaseDatasetPath</c>, and tests) into the dataset grains as one batch with source
/// <see cref="Source"/>. Reading, archive safety and image checks are <see cref="KaggleDatasetReader"/>'s, the same
/// as the file-catalogue CLI import. Call it off the grain scheduler: it decodes every image.
/// </summary>
public sealed class BaseDatasetImporter(
    IGrainFactory grains,
    IImageStore store,
    XrayImageDecoder decoder,
    TimeProvider time,
    ILogger<BaseDatasetImporter> logger)
{
    /// <summary>The source recorded on base data set images.</summary>
    public const string Source = "kermany";

    private const int ProgressEvery = 500;

    /// <summary>
    /// Stores every valid image and catalogues the lot as one batch. The batch id defaults to one derived from the
    /// images' hashes, so importing the same data again returns the batch recorded the first time.
    /// </summary>
    /// <param name="progress">Told the number of files read so far, every few hundred files.</param>
    public async Task<UploadBatch> ImportAsync(
        string path, string? batchId = null, KaggleImportOptions? options = null, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var reader = new KaggleDatasetReader(decoder, options);
        var candidates = new List<ImageRecord>();
        var rejected = new List<UploadFileResult>();
        var read = 0;
        foreach (var file in reader.Read(path))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (++read % ProgressEvery == 0)
            {
                progress?.Report(read);
            }

            if (reader.Check(file, out var rejection) is not { } size)
            {
                // A file refused before reading (layout, archive safety) has no label; one the decoder refused has its folder's.
                var label = file.Rejection is null ? file.Label : (ImageLabel?)null;
                rejected.Add(new UploadFileResult(file.Name, UploadFileStatus.Rejected, null, label, rejection!.Reason));
                continue;
            }

            var stored = await store.PutAsync(file.Bytes, cancellationToken);
            candidates.Add(new ImageRecord(
                stored.Sha256, file.Label, file.Split, Source, file.Name,
                stored.SizeBytes, size.Width, size.Height, PatientId.FromFileName(file.Name), time.GetUtcNow()));
        }

        batchId ??= $"{Source}-{ImageCatalogue.SnapshotHash(candidates)[..16]}";
        var batch = await grains.GetGrain<IDatasetGrain>(WellKnownKeys.Default).AddBatchAsync(batchId, Source, candidates, rejected, screen: null);
        logger.LogInformation("Imported {Path} as batch {BatchId}: {Accepted} accepted, {Duplicates} duplicates, {Rejected} rejected",
            path, batchId, batch.Accepted, batch.Duplicates, batch.Rejected);
        return batch;
    }
}
