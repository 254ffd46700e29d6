namespace Pneumonia.Abstractions;

/// <summary>One catalogued image. Key: its SHA-256 (so a duplicate is detected by the grain that owns the hash).</summary>
[Alias("pneumonia.IImageGrain")]
public interface IImageGrain : IGrainWithStringKey
{
    /// <summary>Records the image unless it is known already; either way returns the record kept.</summary>
    Task<ImageRegistration> RegisterAsync(ImageRecord record);

    Task<ImageRecord?> GetAsync();
}

/// <summary>One upload batch with its per-file outcomes, written once. Key: the batch id.</summary>
[Alias("pneumonia.IUploadBatchGrain")]
public interface IUploadBatchGrain : IGrainWithStringKey
{
    Task RecordAsync(UploadBatch batch, IReadOnlyList<ImageRecord> acceptedImages);

    Task<UploadBatch?> GetAsync();

    /// <summary>The images this batch added (its accepted files).</summary>
    Task<IReadOnlyList<ImageRecord>> GetImagesAsync();
}

/// <summary>
/// The dataset: which upload batches exist and the counts per split and label. Rows live in the batch and image
/// grains, so an upload never rewrites one huge state. Key: <see cref="WellKnownKeys.Default"/>.
/// </summary>
[Alias("pneumonia.IDatasetGrain")]
public interface IDatasetGrain : IGrainWithStringKey
{
    /// <summary>
    /// Catalogues images whose bytes are already in the image store: each is added or found to be a duplicate;
    /// rejected files (already checked by the caller) are recorded with their reasons. Idempotent per batch id.
    /// </summary>
    Task<UploadBatch> AddBatchAsync(string batchId, string source, IReadOnlyList<ImageRecord> candidates, IReadOnlyList<UploadFileResult> rejected);

    Task<DatasetStatistics> GetStatisticsAsync();

    /// <summary>Every labelled image of every batch: what a retrain trains and validates on.</summary>
    Task<IReadOnlyList<ImageRecord>> GetLabelledImagesAsync();
}

/// <summary>Keys of the cluster-wide singleton grains.</summary>
public static class WellKnownKeys
{
    public const string Default = "default";
}
