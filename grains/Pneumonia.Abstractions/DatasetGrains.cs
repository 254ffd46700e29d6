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
    /// A held-out share of the accepted labelled images joins the gate set; a <paramref name="screen"/> that holds
    /// the batch keeps all of its images out of training and out of the gate set until <see cref="ConfirmBatchAsync"/>.
    /// </summary>
    Task<UploadBatch> AddBatchAsync(
        string batchId, string source, IReadOnlyList<ImageRecord> candidates, IReadOnlyList<UploadFileResult> rejected, LabelScreen? screen);

    Task<DatasetStatistics> GetStatisticsAsync();

    /// <summary>Every labelled image of every batch (gate set and held batches included), for browsing and charts.</summary>
    Task<IReadOnlyList<ImageRecord>> GetLabelledImagesAsync();

    /// <summary>Every labelled image a retrain may use: not in the gate set, not in a batch held for review.</summary>
    Task<TrainingData> GetTrainingDataAsync();

    /// <summary>The counts a retrain is checked against before it starts.</summary>
    Task<TrainingReadiness> GetTrainingReadinessAsync();

    /// <summary>The promotion gate's evaluation set at its current version (held batches left out).</summary>
    Task<GateSet> GetGateSetAsync();

    /// <summary>
    /// A person confirms the labels of a batch the label screen held: from now on it is trained on and its gate share
    /// counts. Returns the batch's summary, or null for an unknown batch. Confirming a batch that is not held changes nothing.
    /// </summary>
    Task<UploadBatchSummary?> ConfirmBatchAsync(string batchId);

    /// <summary>Records how the base data set's import stands (called by the silo that imports it).</summary>
    Task SetBaseDataStatusAsync(BaseDataStatus status);
}

/// <summary>Keys of the cluster-wide singleton grains.</summary>
public static class WellKnownKeys
{
    public const string Default = "default";
}
