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

    /// <summary>
    /// Up to <paramref name="limit"/> of the images this batch added (its accepted files, in a fixed order) from
    /// <paramref name="offset"/> on; fewer than asked means the end. Paged so no call moves a whole large batch.
    /// </summary>
    Task<IReadOnlyList<ImageRecord>> GetImagesAsync(int offset, int limit);
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
    /// A held-out share of the accepted labelled images joins the gate set; a <paramref name="screen"/> that holds
    /// the batch keeps all of its images out of training and out of the gate set until <see cref="ConfirmBatchAsync"/>.
    /// </summary>
    Task<UploadBatch> AddBatchAsync(
        string batchId, string source, IReadOnlyList<ImageRecord> candidates, IReadOnlyList<UploadFileResult> rejected, LabelScreen? screen);

    Task<DatasetStatistics> GetStatisticsAsync();

    /// <summary>
    /// One page of the labelled images of every batch (gate set and held batches included), for browsing and charts:
    /// at most <paramref name="limit"/> images (and never more than the configured <c>Pneumonia:Dataset:MaxPageSize</c>),
    /// from <paramref name="after"/> (null: the start). Read on with <see cref="ImagePage.Next"/> until it is null;
    /// each image present when the listing started comes exactly once, even if batches are added in between.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is below 1, or the cursor is negative.</exception>
    Task<ImagePage> GetLabelledImagesAsync(DatasetCursor? after, int limit);

    /// <summary>
    /// One page of the labelled images a retrain may use (not in the gate set, not in a batch held for review), paged
    /// like <see cref="GetLabelledImagesAsync"/>.
    /// </summary>
    Task<ImagePage> GetTrainingImagesAsync(DatasetCursor? after, int limit);

    /// <summary>
    /// A fixed sample of the labelled images: per label the <paramref name="perLabel"/> (at most
    /// <see cref="DatasetLimits.MaxSamplesPerLabel"/>) with the smallest hashes, ordered by label then hash. Kept by
    /// the grain as batches arrive, so no rows are read.
    /// </summary>
    Task<IReadOnlyList<ImageRecord>> GetSampleAsync(int perLabel);

    /// <summary>The counts a retrain is checked against before it starts.</summary>
    Task<TrainingReadiness> GetTrainingReadinessAsync();

    /// <summary>
    /// One page of the promotion gate's evaluation set at its current version (held batches left out): at most
    /// <paramref name="limit"/> images (and never more than <c>Pneumonia:Dataset:MaxPageSize</c>) from
    /// <paramref name="offset"/> on. The order is fixed for a version; a reader that sees the version change starts again
    /// (<see cref="DatasetPaging.ReadGateSetAsync"/> does).
    /// </summary>
    Task<GateSetPage> GetGateSetAsync(int offset, int limit);

    /// <summary>
    /// A person confirms the labels of a batch the label screen held: from now on it is trained on and its gate share
    /// counts. Returns the batch's summary, or null for an unknown batch. Confirming a batch that is not held changes nothing.
    /// </summary>
    Task<UploadBatchSummary?> ConfirmBatchAsync(string batchId);

    /// <summary>Records how the base data set's import stands (called by the silo that imports it).</summary>
    Task SetBaseDataStatusAsync(BaseDataStatus status);
}

/// <summary>Fixed limits of the dataset contract.</summary>
public static class DatasetLimits
{
    /// <summary>The largest sample per label <see cref="IDatasetGrain.GetSampleAsync"/> keeps.</summary>
    public const int MaxSamplesPerLabel = 16;

    /// <summary>The default of <c>Pneumonia:Dataset:MaxPageSize</c>: about 250 KB of image records per page.</summary>
    public const int DefaultMaxPageSize = 1_000;
}

/// <summary>Reads a whole paged listing, a page per call, for callers that need every row in memory anyway (training, charts, tests).</summary>
public static class DatasetPaging
{
    /// <summary>Every labelled image (see <see cref="IDatasetGrain.GetLabelledImagesAsync"/>), read in pages of <paramref name="pageSize"/>.</summary>
    public static Task<List<ImageRecord>> ReadLabelledImagesAsync(this IDatasetGrain dataset, int pageSize = DatasetLimits.DefaultMaxPageSize)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return ReadAllAsync(dataset.GetLabelledImagesAsync, pageSize);
    }

    /// <summary>Every image a retrain may use (see <see cref="IDatasetGrain.GetTrainingImagesAsync"/>), read in pages of <paramref name="pageSize"/>.</summary>
    public static Task<List<ImageRecord>> ReadTrainingImagesAsync(this IDatasetGrain dataset, int pageSize = DatasetLimits.DefaultMaxPageSize)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return ReadAllAsync(dataset.GetTrainingImagesAsync, pageSize);
    }

    /// <summary>
    /// The whole gate set at one version, read in pages of <paramref name="pageSize"/>; read again from the start if
    /// the version changes between pages (a batch joined it meanwhile).
    /// </summary>
    public static async Task<GateSet> ReadGateSetAsync(this IDatasetGrain dataset, int pageSize = DatasetLimits.DefaultMaxPageSize)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        while (true)
        {
            var first = await dataset.GetGateSetAsync(0, pageSize);
            var images = new List<GateImage>(first.Images);
            var page = first;
            while (page.Version == first.Version && images.Count < first.Total)
            {
                page = await dataset.GetGateSetAsync(images.Count, pageSize);
                if (page.Version == first.Version && page.Images.Count == 0)
                {
                    throw new InvalidOperationException($"The gate set at version {first.Version} has {first.Total} images, but its pages end after {images.Count}.");
                }

                images.AddRange(page.Images);
            }

            if (page.Version == first.Version)
            {
                return new GateSet(first.Version, images);
            }
        }
    }

    /// <summary>Every image of one batch, read in pages of <paramref name="pageSize"/>.</summary>
    public static async Task<List<ImageRecord>> ReadImagesAsync(this IUploadBatchGrain batch, int pageSize = DatasetLimits.DefaultMaxPageSize)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var images = new List<ImageRecord>();
        while (true)
        {
            var page = await batch.GetImagesAsync(images.Count, pageSize);
            images.AddRange(page);
            if (page.Count < pageSize)
            {
                return images;
            }
        }
    }

    private static async Task<List<ImageRecord>> ReadAllAsync(Func<DatasetCursor?, int, Task<ImagePage>> read, int pageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        var images = new List<ImageRecord>();
        DatasetCursor? cursor = null;
        do
        {
            var page = await read(cursor, pageSize);
            images.AddRange(page.Images);
            cursor = page.Next;
        }
        while (cursor is not null);
        return images;
    }
}

/// <summary>Keys of the cluster-wide singleton grains.</summary>
public static class WellKnownKeys
{
    public const string Default = "default";
}
