using Pneumonia.Abstractions;

namespace Pneumonia.Grains.Dataset;

/// <summary>Persisted state of <see cref="UploadBatchGrain"/>.</summary>
[GenerateSerializer, Alias("pneumonia.UploadBatchState")]
public sealed class UploadBatchState
{
    [Id(0)] public UploadBatch? Batch { get; set; }

    [Id(1)] public List<ImageRecord> Images { get; set; } = [];
}

/// <summary>
/// One upload batch with its per-file rows and the records of the images it added. Written once: the rows of a
/// batch are stored here, not in the dataset grain, so an upload writes only its own rows.
/// </summary>
public sealed class UploadBatchGrain(
    [PersistentState("batch", GrainStorage.Name)] IPersistentState<UploadBatchState> state) : Grain, IUploadBatchGrain
{
    /// <summary>Stores the batch; a second call is a no-op (the first write wins, so a retried upload changes nothing).</summary>
    public async Task RecordAsync(UploadBatch batch, IReadOnlyList<ImageRecord> acceptedImages)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(acceptedImages);
        var key = this.GetPrimaryKeyString();
        if (!string.Equals(batch.BatchId, key, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The batch is {batch.BatchId}, this grain is batch {key}.", nameof(batch));
        }

        if (state.State.Batch is not null)
        {
            return;
        }

        state.State.Batch = batch;
        state.State.Images = [.. acceptedImages];
        await state.WriteStateAsync();
    }

    public Task<UploadBatch?> GetAsync() => Task.FromResult(state.State.Batch);

    public Task<IReadOnlyList<ImageRecord>> GetImagesAsync(int offset, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var images = state.State.Images;
        return Task.FromResult<IReadOnlyList<ImageRecord>>(offset >= images.Count ? [] : images.GetRange(offset, Math.Min(limit, images.Count - offset)));
    }
}
