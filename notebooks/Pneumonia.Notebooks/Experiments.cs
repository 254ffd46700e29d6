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

    /// <summary>
    /// Makes <paramref name="version"/> production through the promotion gate: the cluster scores it and production on
    /// the gate set as both are served, and promotes it only if no figure is worse than its tolerance (unless
    /// <paramref name="force"/>, which is recorded as forced). The one call in these notebooks that changes production.
    /// </summary>
    public async Task<PromotionDecision> PromoteAsync(string version, bool force, string reason = "notebook")
    {
        var gate = await session.Grains.GetGrain<IGateEvaluatorGrain>(version).EvaluateAsync();
        return await session.Registry.PromoteAsync(version, force, reason, gate);
    }

    /// <summary>
    /// What the promotion gate said of each job's model against production: the verdict and each figure as
    /// candidate vs production (difference), on the same gate images.
    /// </summary>
    public static HtmlView GateTable(IEnumerable<TrainingJobInfo> jobs)
    {
        string[] figures = ["roc_auc", "sensitivity", "specificity", "brier", "ece"];
        static string Cell(GateReport gate, string name) =>
            gate.Figures.FirstOrDefault(f => f.Name == name) is { } f
                ? FormattableString.Invariant($"{f.Candidate:0.0000} vs {f.Production:0.0000} ({f.Difference:+0.0000;-0.0000;0}){(f.Passed ? "" : " ✗")}")
                : "";
        return Html.Table(
            ["job", "version", "against", "gate images", "verdict", .. figures],
            jobs.Where(j => j.Gate is not null).Select(j => (IReadOnlyList<object?>)
            [
                j.JobId, j.ResultVersion, j.Gate!.ProductionVersion, $"{j.Gate.Normal} NORMAL / {j.Gate.Pneumonia} PNEUMONIA", j.Gate.Verdict,
                .. figures.Select(name => (object?)Cell(j.Gate, name)),
            ]),
            "The promotion gate: each candidate against production on the same gate set");
    }

    /// <summary>The cards of the versions some jobs produced, in job order.</summary>
    public async Task<IReadOnlyList<ModelCard>> CardsAsync(IEnumerable<TrainingJobInfo> jobs)
    {
        var cards = new List<ModelCard>();
        foreach (var version in jobs.Select(j => j.ResultVersion).OfType<string>())
        {
            var info = await session.Grains.GetGrain<IModelVersionGrain>(version).GetAsync()
                ?? throw new InvalidOperationException($"Version {version} is not registered.");
            cards.Add(info.Card);
        }

        return cards;
    }

    /// <summary>The production model's card.</summary>
    public async Task<ModelCard> ProductionCardAsync()
    {
        var production = await session.Registry.GetProductionAsync() ?? throw new InvalidOperationException("The cluster has no production model yet.");
        var info = await session.Grains.GetGrain<IModelVersionGrain>(production.Version).GetAsync()
            ?? throw new InvalidOperationException($"Production version {production.Version} is not registered.");
        return info.Card;
    }

    /// <summary>One line per job state: phase, epoch, batch, progress bar, loss, ETA.</summary>
    public static HtmlView Progress(TrainingJobInfo job)
    {
        var width = (int)Math.Round(job.Progress * 3);
        return new HtmlView(
            $"<div><strong>{Html.Encode(job.JobId)}</strong> {job.Status} / {Html.Encode(job.Phase)}: epoch {job.Epoch}/{job.Request.Epochs}, batch {job.Batch}/{job.BatchesPerEpoch}, " +
            $"{job.Progress:0.#}%, loss {job.Loss:0.###}, validation AUC {job.ValidationAuc:0.###}{(job.Eta is { } eta ? $", ETA {eta:mm\\:ss}" : "")}" +
            $"{(job.ResultVersion is null ? "" : $" → {Html.Encode(job.ResultVersion)} (gate: {job.Gate?.Verdict}, promoted: {job.Promoted})")}{(job.Error is null ? "" : " error: " + Html.Encode(job.Error))}" +
            $"<div style=\"width:300px;height:8px;background:#eee\"><div style=\"width:{width}px;height:8px;background:#2ca02c\"></div></div></div>");
    }
}
