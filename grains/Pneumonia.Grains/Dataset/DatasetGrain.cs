using Pneumonia.Abstractions;

namespace Pneumonia.Grains.Dataset;

/// <summary>Persisted state of <see cref="DatasetGrain"/>: summaries and counts only, never per-image rows.</summary>
[GenerateSerializer, Alias("pneumonia.DatasetState")]
public sealed class DatasetState
{
    [Id(0)] public List<UploadBatchSummary> Batches { get; set; } = [];

    [Id(1)] public List<SplitLabelCount> Counts { get; set; } = [];

    /// <summary>
    /// The batch being added, written before any image is registered and cleared when the batch is listed: a silo
    /// that dies in between leaves it here, and the next activation finishes it (see <see cref="DatasetGrain"/>).
    /// </summary>
    [Id(2)] public PendingBatch? Pending { get; set; }
}

/// <summary>The arguments of an <see cref="IDatasetGrain.AddBatchAsync"/> call that has not finished yet.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.PendingBatch")]
public sealed record PendingBatch(
    [property: Id(0)] string BatchId,
    [property: Id(1)] string Source,
    [property: Id(2)] IReadOnlyList<ImageRecord> Candidates,
    [property: Id(3)] IReadOnlyList<UploadFileResult> Rejected);

/// <summary>
/// The dataset: which batches exist and how many images there are per split and label. Each image is registered
/// through its own <see cref="IImageGrain"/> (which decides new or duplicate) and each batch's rows are stored in
/// its <see cref="IUploadBatchGrain"/>, so this grain's state grows by one summary per upload, not per image.
/// </summary>
/// <remarks>
/// Adding a batch writes three kinds of state (image grains, the batch grain, this grain) that no transaction ties
/// together. A crash between them used to leave images registered (so a client's retry, which gets a new batch id,
/// called them duplicates) but listed in no batch: lost to training although the client was told they were stored.
/// So the call is journalled in <see cref="DatasetState.Pending"/> first and replayed with the same arguments on the
/// next activation; the replay is idempotent (identical records count as this batch's, the batch grain keeps its
/// first write).
/// </remarks>
public sealed class DatasetGrain(
    [PersistentState("dataset", GrainStorage.Name)] IPersistentState<DatasetState> state,
    TimeProvider time) : Grain, IDatasetGrain
{
    // Enough concurrent registrations to hide storage latency without flooding the silo with one message per image.
    private const int RegistrationsInFlight = 32;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await FinishPendingAsync();
        await base.OnActivateAsync(cancellationToken);
    }

    public async Task<UploadBatch> AddBatchAsync(
        string batchId, string source, IReadOnlyList<ImageRecord> candidates, IReadOnlyList<UploadFileResult> rejected)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(batchId);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(rejected);
        await FinishPendingAsync();
        if (state.State.Batches.Any(b => b.BatchId == batchId))
        {
            return await GrainFactory.GetGrain<IUploadBatchGrain>(batchId).GetAsync()
                ?? throw new InvalidOperationException($"Batch {batchId} is listed but its rows are missing.");
        }

        var pending = new PendingBatch(batchId, source, [.. candidates], [.. rejected]);
        state.State.Pending = pending;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not journalled (a full disk, say): the caller gets the error, so nothing may replay this batch later.
            state.State.Pending = null;
            throw;
        }

        return await AddPendingAsync(pending);
    }

    private async Task FinishPendingAsync()
    {
        if (state.State.Pending is { } pending)
        {
            await AddPendingAsync(pending);
        }
    }

    // Registers the images, records the batch, lists it and clears the journal in one state write.
    private async Task<UploadBatch> AddPendingAsync(PendingBatch pending)
    {
        var (batchId, source, candidates, rejected) = (pending.BatchId, pending.Source, pending.Candidates, pending.Rejected);
        var batchGrain = GrainFactory.GetGrain<IUploadBatchGrain>(batchId);
        var results = new UploadFileResult?[candidates.Count];
        var firstByHash = new Dictionary<string, int>(StringComparer.Ordinal);
        var unique = new List<int>();
        for (var i = 0; i < candidates.Count; i++)
        {
            var candidate = candidates[i];
            if (firstByHash.TryGetValue(candidate.Sha256, out var first))
            {
                results[i] = new UploadFileResult(candidate.OriginalName, UploadFileStatus.Duplicate, candidate.Sha256, candidate.Label,
                    $"same image as {candidates[first].OriginalName} in this batch");
                continue;
            }

            firstByHash.Add(candidate.Sha256, i);
            unique.Add(i);
        }

        var accepted = new List<ImageRecord>();
        foreach (var chunk in unique.Chunk(RegistrationsInFlight))
        {
            var registrations = await Task.WhenAll(chunk.Select(i => GrainFactory.GetGrain<IImageGrain>(candidates[i].Sha256).RegisterAsync(candidates[i])));
            for (var j = 0; j < chunk.Length; j++)
            {
                var candidate = candidates[chunk[j]];
                var registration = registrations[j];
                // A retry of this very call (after a crash between registering and recording) sends identical
                // records: those images were added by this batch, so they count as accepted, not as duplicates.
                if (registration.Added || registration.Record == candidate)
                {
                    accepted.Add(registration.Record);
                    results[chunk[j]] = new UploadFileResult(candidate.OriginalName, UploadFileStatus.Accepted, candidate.Sha256, candidate.Label, null);
                }
                else
                {
                    // The earlier copy may be another user's: its file name and batch are not this uploader's to see.
                    results[chunk[j]] = new UploadFileResult(candidate.OriginalName, UploadFileStatus.Duplicate, candidate.Sha256, candidate.Label,
                        "the same image is already in the dataset (added by an earlier upload or import)");
                }
            }
        }

        var files = results.Select(r => r!).Concat(rejected.Select(r => r with { Status = UploadFileStatus.Rejected })).ToList();
        await batchGrain.RecordAsync(new UploadBatch(batchId, source, time.GetUtcNow(), files), accepted);
        // The batch grain keeps the first write: after a retry its copy (not the one built now) is the truth.
        var batch = await batchGrain.GetAsync() ?? throw new InvalidOperationException($"Batch {batchId} was not stored.");
        var images = await batchGrain.GetImagesAsync();

        state.State.Batches.Add(Summarize(batch, images));
        foreach (var image in images)
        {
            AddToCounts(image);
        }

        state.State.Pending = null;
        await state.WriteStateAsync();
        return batch;
    }

    public Task<DatasetStatistics> GetStatisticsAsync()
    {
        var counts = state.State.Counts.OrderBy(c => c.Split).ThenBy(c => c.Label.HasValue).ThenBy(c => c.Label).ToList();
        return Task.FromResult(new DatasetStatistics(
            counts.Sum(c => c.Images), counts.Sum(c => c.Bytes), counts, [.. state.State.Batches]));
    }

    public async Task<IReadOnlyList<ImageRecord>> GetLabelledImagesAsync()
    {
        var withImages = state.State.Batches.Where(b => b.AcceptedNormal + b.AcceptedPneumonia > 0).Select(b => b.BatchId).ToList();
        var perBatch = await Task.WhenAll(withImages.Select(id => GrainFactory.GetGrain<IUploadBatchGrain>(id).GetImagesAsync()));
        return perBatch.SelectMany(images => images).Where(image => image.Label is not null).ToList();
    }

    private void AddToCounts(ImageRecord image)
    {
        var counts = state.State.Counts;
        var index = counts.FindIndex(c => c.Split == image.Split && c.Label == image.Label);
        if (index < 0)
        {
            counts.Add(new SplitLabelCount(image.Split, image.Label, 1, image.SizeBytes));
        }
        else
        {
            counts[index] = counts[index] with { Images = counts[index].Images + 1, Bytes = counts[index].Bytes + image.SizeBytes };
        }
    }

    private static UploadBatchSummary Summarize(UploadBatch batch, IReadOnlyList<ImageRecord> images) => new(
        batch.BatchId, batch.Source, batch.CreatedAt, batch.Accepted, batch.Duplicates, batch.Rejected,
        images.Count(i => i.Label == ImageLabel.Normal), images.Count(i => i.Label == ImageLabel.Pneumonia), images.Count(i => i.Label is null));
}
