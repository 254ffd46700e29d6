using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Hosting;
using Pneumonia.Ml.Data;

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

    /// <summary>The promotion gate's evaluation set: the members of every batch (held batches' members count once confirmed).</summary>
    [Id(3)] public List<GateMember> Gate { get; set; } = [];

    /// <summary>Grows by one whenever the effective gate set changes (a batch adds members, a held batch is confirmed).</summary>
    [Id(4)] public int GateVersion { get; set; }

    /// <summary>
    /// False for state written before the gate set existed: the next activation assigns the images already stored
    /// with the same rule, once.
    /// </summary>
    [Id(5)] public bool GateAssigned { get; set; }

    /// <summary>Per batch: its trainable and gate images per class, so readiness needs no rows.</summary>
    [Id(6)] public Dictionary<string, BatchComposition> Compositions { get; set; } = [];

    [Id(7)] public BaseDataStatus? BaseData { get; set; }

    /// <summary>Widths, heights and file sizes of the labelled images of every listed batch, for the statistics.</summary>
    [Id(8)] public SizeCounters LabelledSizes { get; set; } = new();

    /// <summary>Per label, the <see cref="DatasetLimits.MaxSamplesPerLabel"/> labelled images with the smallest hashes.</summary>
    [Id(9)] public List<ImageRecord> Sample { get; set; } = [];

    /// <summary>
    /// False for state written before <see cref="LabelledSizes"/> and <see cref="Sample"/> existed: the next activation
    /// counts the batches already stored, once.
    /// </summary>
    [Id(10)] public bool RowCountersBuilt { get; set; }
}

/// <summary>One gate-set image and the batch that added it.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.GateMember")]
public sealed record GateMember([property: Id(0)] string Sha256, [property: Id(1)] ImageLabel Label, [property: Id(2)] string BatchId);

/// <summary>What one batch adds to training and to the gate set, per class.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.BatchComposition")]
public sealed record BatchComposition(
    [property: Id(0)] int TrainNormal,
    [property: Id(1)] int TrainPneumonia,
    [property: Id(2)] int GateNormal,
    [property: Id(3)] int GatePneumonia);

/// <summary>The arguments of an <see cref="IDatasetGrain.AddBatchAsync"/> call that has not finished yet.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.PendingBatch")]
public sealed record PendingBatch(
    [property: Id(0)] string BatchId,
    [property: Id(1)] string Source,
    [property: Id(2)] IReadOnlyList<ImageRecord> Candidates,
    [property: Id(3)] IReadOnlyList<UploadFileResult> Rejected,
    [property: Id(4)] LabelScreen? Screen = null);

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
/// <para>
/// Listings are paged (<see cref="DatasetOptions.MaxPageSize"/> records at most per call) and the statistics come
/// from counters kept as batches are listed, so no call moves every row of a large data set in one message.
/// </para>
/// <para>
/// The gate set is this grain's fact too: which images the promotion gate judges models on. A held-out share of every
/// batch's labelled images (<see cref="GateSetRule"/>) joins it when the batch is added; they are never trained on.
/// A batch the label screen holds keeps all its images out of training and out of the gate until a person confirms it.
/// </para>
public sealed class DatasetGrain(
    [PersistentState("dataset", GrainStorage.Name)] IPersistentState<DatasetState> state,
    IOptions<PromotionOptions> promotion,
    IOptions<DatasetOptions> options,
    TimeProvider time) : Grain, IDatasetGrain
{
    private GateSetRule GateRule => new(promotion.Value.GateFraction);

    private int PageSize => options.Value.MaxPageSize;

    // The gate set's hashes, for filtering the training listing page by page; rebuilt after the gate set changes.
    private HashSet<string>? _gateHashes;

    // Enough concurrent registrations to hide storage latency without flooding the silo with one message per image.
    private const int RegistrationsInFlight = 32;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await AssignGateToStoredBatchesAsync();
        await BuildRowCountersAsync();
        await FinishPendingAsync();
        await base.OnActivateAsync(cancellationToken);
    }

    public async Task<UploadBatch> AddBatchAsync(
        string batchId, string source, IReadOnlyList<ImageRecord> candidates, IReadOnlyList<UploadFileResult> rejected, LabelScreen? screen)
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

        var pending = new PendingBatch(batchId, source, [.. candidates], [.. rejected], screen);
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
        var checks = (pending.Screen?.Checks ?? []).ToDictionary(c => c.Sha256, StringComparer.Ordinal);
        UploadFileResult WithCheck(UploadFileResult result) =>
            result.Sha256 is { } sha && checks.TryGetValue(sha, out var check) ? result with { ModelProbability = check.Probability, Disputed = check.Disputed } : result;
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

        var files = results.Select(r => WithCheck(r!)).Concat(rejected.Select(r => r with { Status = UploadFileStatus.Rejected })).ToList();
        await batchGrain.RecordAsync(new UploadBatch(batchId, source, time.GetUtcNow(), files, pending.Screen?.Summary), accepted);
        // The batch grain keeps the first write: after a retry its copy (not the one built now) is the truth.
        var batch = await batchGrain.GetAsync() ?? throw new InvalidOperationException($"Batch {batchId} was not stored.");
        var images = await batchGrain.ReadImagesAsync(PageSize);

        var held = batch.Screen is { Held: true };
        state.State.Batches.Add(Summarize(batch, images, held ? BatchTrainingUse.HeldForReview : BatchTrainingUse.Used, AssignGate(batchId, images, held)));
        foreach (var image in images)
        {
            AddToCounts(image);
        }

        CountLabelled(images);
        state.State.GateAssigned = true;
        state.State.Pending = null;
        await state.WriteStateAsync();
        return batch;
    }

    public Task<DatasetStatistics> GetStatisticsAsync()
    {
        var counts = state.State.Counts.OrderBy(c => c.Split).ThenBy(c => c.Label.HasValue).ThenBy(c => c.Label).ToList();
        var gate = EffectiveGate().ToList();
        var gateSummary = new GateSetSummary(
            state.State.GateVersion, gate.Count(m => m.Label == ImageLabel.Normal), gate.Count(m => m.Label == ImageLabel.Pneumonia), GateRule.Description);
        return Task.FromResult(new DatasetStatistics(
            counts.Sum(c => c.Images), counts.Sum(c => c.Bytes), counts, [.. state.State.Batches], gateSummary, state.State.BaseData,
            state.State.LabelledSizes.Summarize()));
    }

    public Task<ImagePage> GetLabelledImagesAsync(DatasetCursor? after, int limit) =>
        PageAsync(after, limit, HasLabelled, image => image.Label is not null);

    public Task<ImagePage> GetTrainingImagesAsync(DatasetCursor? after, int limit)
    {
        var gate = _gateHashes ??= state.State.Gate.Select(m => m.Sha256).ToHashSet(StringComparer.Ordinal);
        return PageAsync(
            after, limit, b => b.TrainingUse != BatchTrainingUse.HeldForReview && HasLabelled(b), image => image.Label is not null && !gate.Contains(image.Sha256));
    }

    public Task<IReadOnlyList<ImageRecord>> GetSampleAsync(int perLabel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(perLabel, 1);
        perLabel = Math.Min(perLabel, DatasetLimits.MaxSamplesPerLabel);
        return Task.FromResult<IReadOnlyList<ImageRecord>>(
            [.. state.State.Sample.GroupBy(i => i.Label).OrderBy(g => g.Key).SelectMany(g => g.OrderBy(i => i.Sha256, StringComparer.Ordinal).Take(perLabel))]);
    }

    public Task<TrainingReadiness> GetTrainingReadinessAsync()
    {
        var used = state.State.Batches
            .Where(b => b.TrainingUse != BatchTrainingUse.HeldForReview)
            .Select(b => state.State.Compositions.GetValueOrDefault(b.BatchId))
            .OfType<BatchComposition>()
            .ToList();
        return Task.FromResult(new TrainingReadiness(
            used.Sum(c => c.TrainNormal), used.Sum(c => c.TrainPneumonia), used.Sum(c => c.GateNormal), used.Sum(c => c.GatePneumonia),
            HeldOutImages(), state.State.BaseData));
    }

    public Task<GateSetPage> GetGateSetAsync(int offset, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        // Members are only appended (a held batch's stay filtered until it is confirmed, which moves the version), so
        // offsets into the effective set are stable within a version.
        var gate = EffectiveGate().ToList();
        return Task.FromResult(new GateSetPage(
            state.State.GateVersion, gate.Count, [.. gate.Skip(offset).Take(Math.Min(limit, PageSize)).Select(m => new GateImage(m.Sha256, m.Label))]));
    }

    public async Task<UploadBatchSummary?> ConfirmBatchAsync(string batchId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(batchId);
        var index = state.State.Batches.FindIndex(b => b.BatchId == batchId);
        if (index < 0)
        {
            return null;
        }

        var summary = state.State.Batches[index];
        if (summary.TrainingUse != BatchTrainingUse.HeldForReview)
        {
            return summary;
        }

        state.State.Batches[index] = summary = summary with { TrainingUse = BatchTrainingUse.Confirmed };
        if (summary.GateImages > 0)
        {
            state.State.GateVersion++;
        }

        await state.WriteStateAsync();
        return summary;
    }

    public async Task SetBaseDataStatusAsync(BaseDataStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (state.State.BaseData is { } current && current.State == status.State && current.Message == status.Message)
        {
            return;
        }

        state.State.BaseData = status;
        await state.WriteStateAsync();
    }

    /// <summary>
    /// One page of the images of the batches <paramref name="lists"/> accepts that <paramref name="keeps"/> keeps, from
    /// <paramref name="after"/> on. Batches are only ever appended and their images written once, so a cursor (batch
    /// index, offset among that batch's images) stays valid whatever is added later. Reads only the batch grains'
    /// slices it needs, each at most one page; the grain is not reentrant, so nothing changes during the page.
    /// </summary>
    private async Task<ImagePage> PageAsync(DatasetCursor? after, int limit, Func<UploadBatchSummary, bool> lists, Func<ImageRecord, bool> keeps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var (batch, offset) = (after?.Batch ?? 0, after?.Offset ?? 0);
        if (batch < 0 || offset < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(after), after, "A cursor is never negative.");
        }

        limit = Math.Min(limit, PageSize);
        var batches = state.State.Batches;
        var images = new List<ImageRecord>();
        bool Exhausted() => !lists(batches[batch]) || offset >= ImagesOf(batches[batch]);
        while (batch < batches.Count && images.Count < limit)
        {
            if (Exhausted())
            {
                (batch, offset) = (batch + 1, 0);
                continue;
            }

            var slice = await GrainFactory.GetGrain<IUploadBatchGrain>(batches[batch].BatchId).GetImagesAsync(offset, limit - images.Count);
            images.AddRange(slice.Where(keeps));
            offset = slice.Count == 0 ? int.MaxValue : offset + slice.Count;
        }

        // Step over what is left empty, so that the last page usually says so itself.
        while (batch < batches.Count && Exhausted())
        {
            (batch, offset) = (batch + 1, 0);
        }

        return new ImagePage(images, batch < batches.Count ? new DatasetCursor(batch, offset) : null);
    }

    private static bool HasLabelled(UploadBatchSummary batch) => batch.AcceptedNormal + batch.AcceptedPneumonia > 0;

    private static int ImagesOf(UploadBatchSummary batch) => batch.AcceptedNormal + batch.AcceptedPneumonia + batch.AcceptedUnlabelled;

    // The statistics' size counters and the fixed sample follow the labelled images of every listed batch.
    private void CountLabelled(IEnumerable<ImageRecord> images)
    {
        var labelled = images.Where(i => i.Label is not null).ToList();
        foreach (var image in labelled)
        {
            state.State.LabelledSizes.Add(image);
        }

        state.State.Sample = [.. state.State.Sample.Concat(labelled)
            .GroupBy(i => i.Label)
            .SelectMany(g => g.OrderBy(i => i.Sha256, StringComparer.Ordinal).Take(DatasetLimits.MaxSamplesPerLabel))];
        state.State.RowCountersBuilt = true;
    }

    /// <summary>State stored before the size counters and the sample existed: the stored batches are counted, once.</summary>
    private async Task BuildRowCountersAsync()
    {
        if (state.State.RowCountersBuilt)
        {
            return;
        }

        state.State.LabelledSizes = new();
        state.State.Sample = [];
        foreach (var summary in state.State.Batches.Where(HasLabelled))
        {
            CountLabelled(await GrainFactory.GetGrain<IUploadBatchGrain>(summary.BatchId).ReadImagesAsync(PageSize));
        }

        state.State.RowCountersBuilt = true;
        if (state.State.Batches.Count > 0)
        {
            await state.WriteStateAsync();
        }
    }

    private IEnumerable<GateMember> EffectiveGate()
    {
        var held = state.State.Batches.Where(b => b.TrainingUse == BatchTrainingUse.HeldForReview).Select(b => b.BatchId).ToHashSet(StringComparer.Ordinal);
        return state.State.Gate.Where(m => !held.Contains(m.BatchId));
    }

    private int HeldOutImages() =>
        state.State.Batches.Where(b => b.TrainingUse == BatchTrainingUse.HeldForReview).Sum(b => b.AcceptedNormal + b.AcceptedPneumonia);

    /// <summary>
    /// Adds the batch's gate members to the gate set and records what it adds to training; returns how many images
    /// went to the gate. Patients with test images in this batch stay out of both (training leaves them out too).
    /// </summary>
    /// <param name="held">The batch is held for review: its members count (and the version moves) once it is confirmed.</param>
    private int AssignGate(string batchId, IReadOnlyList<ImageRecord> images, bool held)
    {
        var labelled = images.Where(i => i.Label is not null).ToList();
        var testPatients = labelled.Where(i => i.Split == ImageSplit.Test).Select(i => i.PatientId).ToHashSet(StringComparer.Ordinal);
        var rule = GateRule;
        var members = labelled
            .Where(i => rule.IsMember(i.Split, GateSetRule.GroupOf(i.OriginalName, i.PatientId, batchId), testPatients.Contains(i.PatientId)))
            .Select(i => new GateMember(i.Sha256, i.Label!.Value, batchId))
            .ToList();
        var gate = members.Select(m => m.Sha256).ToHashSet(StringComparer.Ordinal);
        var train = labelled.Where(i => i.Split == ImageSplit.Train && !gate.Contains(i.Sha256) && !testPatients.Contains(i.PatientId)).ToList();
        state.State.Compositions[batchId] = new BatchComposition(
            train.Count(i => i.Label == ImageLabel.Normal), train.Count(i => i.Label == ImageLabel.Pneumonia),
            members.Count(m => m.Label == ImageLabel.Normal), members.Count(m => m.Label == ImageLabel.Pneumonia));
        state.State.Gate.AddRange(members);
        _gateHashes = null;
        if (members.Count > 0 && !held)
        {
            state.State.GateVersion++;
        }

        return members.Count;
    }

    /// <summary>Data stored before the gate set existed: its images are assigned with the same rule, once.</summary>
    private async Task AssignGateToStoredBatchesAsync()
    {
        if (state.State.GateAssigned)
        {
            return;
        }

        if (state.State.Batches.Count > 0)
        {
            for (var i = 0; i < state.State.Batches.Count; i++)
            {
                var summary = state.State.Batches[i];
                var images = await GrainFactory.GetGrain<IUploadBatchGrain>(summary.BatchId).ReadImagesAsync(PageSize);
                state.State.Batches[i] = summary with { GateImages = AssignGate(summary.BatchId, images, held: false) };
            }

            state.State.GateAssigned = true;
            await state.WriteStateAsync();
        }
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

    private static UploadBatchSummary Summarize(UploadBatch batch, IReadOnlyList<ImageRecord> images, BatchTrainingUse use, int gateImages) => new(
        batch.BatchId, batch.Source, batch.CreatedAt, batch.Accepted, batch.Duplicates, batch.Rejected,
        images.Count(i => i.Label == ImageLabel.Normal), images.Count(i => i.Label == ImageLabel.Pneumonia), images.Count(i => i.Label is null),
        use, gateImages, batch.Screen);
}
