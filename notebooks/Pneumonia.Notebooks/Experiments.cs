using Pneumonia.Abstractions;
using Pneumonia.Notebooks.Rendering;
using Pneumonia.Notebooks.Views;

namespace Pneumonia.Notebooks;

/// <summary>Retraining experiments through the training coordinator: start, watch, collect the versions made.</summary>
public sealed class Experiments(NotebookSession session)
{
    /// <summary>Starts a retrain and reports its state every <paramref name="pollInterval"/> until it ends.</summary>
    /// <param name="onUpdate">Called with a progress view each time (a notebook updates one display with it).</param>
    public async Task<TrainingJobInfo> RunAsync(RetrainRequest request, Action<IHtmlView>? onUpdate = null, TimeSpan? pollInterval = null, TimeSpan? timeout = null)
    {
        var started = await session.Training.StartAsync(request);
        if (started.Outcome != StartRetrainOutcome.Started || started.JobId is null)
        {
            throw new InvalidOperationException($"Retrain not started: {started.Outcome} {started.Reason}");
        }

        var job = session.Grains.GetGrain<ITrainingJobGrain>(started.JobId);
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromHours(2));
        while (true)
        {
            var info = await job.GetAsync() ?? throw new InvalidOperationException($"Job {started.JobId} vanished.");
            onUpdate?.Invoke(Progress(info));
            if (info.IsFinished)
            {
                return info;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Job {started.JobId} still {info.Phase} after {timeout}.");
            }

            await Task.Delay(pollInterval ?? TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Uploads the first <paramref name="perLabel"/> images per label of the configured upload folder, one batch per label.</summary>
    public async Task<IReadOnlyList<ApiUploadResult>> UploadLabelledBatchesAsync(int perLabel)
    {
        var api = session.RequireApi();
        var files = session.UploadImages(perLabel);
        var results = new List<ApiUploadResult>();
        foreach (var label in new[] { "NORMAL", "PNEUMONIA" })
        {
            results.Add(await api.UploadAsync(files.Where(f => Path.GetFileName(Path.GetDirectoryName(f)) == label), label));
        }

        return results;
    }

    /// <summary>What each upload batch did.</summary>
    public static HtmlView UploadTable(IEnumerable<ApiUploadResult> uploads) =>
        Html.Table(["batch", "accepted", "duplicates", "rejected"],
            uploads.Select(u => (IReadOnlyList<object?>)[u.BatchId, u.Accepted, u.Duplicates, u.Rejected.Count]), "Uploaded batches");

    /// <summary>A promotion or rollback decision.</summary>
    public static HtmlView Decision(PromotionDecision d) =>
        Html.Table(["version", "promoted", "forced", "previous", "reason"], [[d.Version, d.Promoted, d.Forced, d.PreviousVersion, d.Reason]], "Decision");

    /// <summary>The cards of the versions some jobs produced, in job order.</summary>
    public async Task<IReadOnlyList<ModelCardView>> CardsAsync(IEnumerable<TrainingJobInfo> jobs)
    {
        var cards = new List<ModelCardView>();
        foreach (var version in jobs.Select(j => j.ResultVersion).OfType<string>())
        {
            var info = await session.Grains.GetGrain<IModelVersionGrain>(version).GetAsync()
                ?? throw new InvalidOperationException($"Version {version} is not registered.");
            cards.Add(ModelCardView.Parse(info));
        }

        return cards;
    }

    /// <summary>The production model's card.</summary>
    public async Task<ModelCardView> ProductionCardAsync()
    {
        var production = await session.Registry.GetProductionAsync() ?? throw new InvalidOperationException("The cluster has no production model yet.");
        var info = await session.Grains.GetGrain<IModelVersionGrain>(production.Version).GetAsync()
            ?? throw new InvalidOperationException($"Production version {production.Version} is not registered.");
        return ModelCardView.Parse(info);
    }

    /// <summary>One line per job state: phase, epoch, batch, progress bar, loss, ETA.</summary>
    public static HtmlView Progress(TrainingJobInfo job)
    {
        var width = (int)Math.Round(job.Progress * 3);
        return new HtmlView(
            $"<div><strong>{Html.Encode(job.JobId)}</strong> {job.Status} / {Html.Encode(job.Phase)}: epoch {job.Epoch}/{job.Request.Epochs}, batch {job.Batch}/{job.BatchesPerEpoch}, " +
            $"{job.Progress:0.#}%, loss {job.Loss:0.###}, validation AUC {job.ValidationAuc:0.###}{(job.Eta is { } eta ? $", ETA {eta:mm\\:ss}" : "")}" +
            $"{(job.ResultVersion is null ? "" : $" → {Html.Encode(job.ResultVersion)} (promoted: {job.Promoted})")}{(job.Error is null ? "" : " error: " + Html.Encode(job.Error))}" +
            $"<div style=\"width:300px;height:8px;background:#eee\"><div style=\"width:{width}px;height:8px;background:#2ca02c\"></div></div></div>");
    }
}
