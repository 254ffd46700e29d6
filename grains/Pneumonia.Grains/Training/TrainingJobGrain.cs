using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Hosting;
using Pneumonia.Grains.Models;
using Pneumonia.Grains.Placement;
using Pneumonia.Ml.Training;

namespace Pneumonia.Grains.Training;

/// <summary>Persisted state of <see cref="TrainingJobGrain"/>.</summary>
[GenerateSerializer, Alias("pneumonia.TrainingJobState")]
public sealed class TrainingJobState
{
    [Id(0)] public TrainingJobInfo? Info { get; set; }
}

/// <summary>
/// One training job. <see cref="StartAsync"/> only records the job; a grain timer (which keeps the activation alive)
/// launches the work on a <see cref="TrainingExecutor"/> thread, copies its progress into the state every
/// <see cref="RetrainOptions.ProgressInterval"/>, writes the state when an epoch ends, and finishes the job in its
/// own turn: register the new version, ask the registry to promote it through the gate. The training thread never
/// touches this grain; it only writes a <see cref="TrainingProgressHolder"/>.
/// </summary>
/// <remarks>
/// A job found Pending or Running when an activation starts has no training thread (threads do not survive
/// activations): the silo that ran it stopped, so it is marked Failed. A reminder, registered while the job runs,
/// brings such a job back to life to do that even if nobody asks for it.
/// Placed on trainer silos only (<see cref="SiloRolePlacementFilterAttribute"/>): the training thread runs where the job is.
/// </remarks>
[SiloRolePlacementFilter(SiloRoles.Trainer)]
[SuppressMessage("Reliability", "CA1001", Justification = "The token source is disposed when the job finishes or the activation deactivates.")]
public sealed class TrainingJobGrain(
    [PersistentState("job", GrainStorage.Name)] IPersistentState<TrainingJobState> state,
    TrainingExecutor executor,
    RetrainRunner runner,
    IOptions<RetrainOptions> options,
    ILocalSiloDetails silo,
    TimeProvider time,
    ILogger<TrainingJobGrain> logger) : Grain, ITrainingJobGrain, IRemindable
{
    internal const string RecoveryReminder = "training-job-recovery";
    internal const string SiloStoppedError = "the silo running this job stopped before it finished";

    // How long a stopping silo waits for the training thread to notice its cancellation (it checks between batches)
    // before recording the end anyway: bounded so that a SIGTERM stops a trainer silo within seconds.
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(3);

    private readonly TrainingProgressHolder _progress = new();
    private CancellationTokenSource? _cancellation;
    private Task<RetrainResult>? _work;
    private IGrainTimer? _timer;
    private int _lastWrittenEpoch = -1;

    private TrainingJobInfo Info => state.State.Info ?? throw new InvalidOperationException("The job has not been started.");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Info is { IsFinished: false })
        {
            logger.LogWarning("Training job {JobId} was {Status} with no training thread: marking it failed", Info.JobId, Info.Status);
            await FinishAsync(Info with { Status = TrainingJobStatus.Failed, Phase = "done", Error = SiloStoppedError, FinishedAt = time.GetUtcNow() });
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_work is null || state.State.Info is not { IsFinished: false })
        {
            return;
        }

        // Only a stopping silo deactivates a running job (its timer keeps it alive otherwise): stop the thread and
        // record the end now rather than leave it to the recovery of the next activation.
        await _cancellation!.CancelAsync();
        await Task.WhenAny(_work, Task.Delay(StopWait, cancellationToken));
        try
        {
            await FinishAsync(Info with
            {
                Status = TrainingJobStatus.Failed, Phase = "done", FinishedAt = time.GetUtcNow(),
                Error = $"{SiloStoppedError} ({reason.Description})",
            });
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogWarning(ex, "Could not record the end of training job {JobId} on deactivation", Info.JobId);
        }
        finally
        {
            _cancellation?.Dispose();
            _cancellation = null;
        }
    }

    public async Task StartAsync(RetrainRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (state.State.Info is { } existing)
        {
            if (existing.Request != request)
            {
                throw new InvalidOperationException($"Job {existing.JobId} was started with another request.");
            }

            return;
        }

        state.State.Info = new TrainingJobInfo(this.GetPrimaryKeyString(), request, TrainingJobStatus.Pending, "queued", time.GetUtcNow());
        await state.WriteStateAsync();
        await this.RegisterOrUpdateReminder(RecoveryReminder, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        // Due at once: the first tick launches the work after this call has returned.
        _timer = this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.Zero,
            Period = options.Value.ProgressInterval,
            KeepAlive = true,
            Interleave = false,
        });
    }

    public Task<TrainingJobInfo?> GetAsync() => Task.FromResult(state.State.Info);

    public async Task CancelAsync()
    {
        if (state.State.Info is not { IsFinished: false } info)
        {
            return;
        }

        if (_work is null)
        {
            await FinishAsync(info with { Status = TrainingJobStatus.Cancelled, Phase = "done", FinishedAt = time.GetUtcNow() });
            return;
        }

        // The training thread checks the token between batches; the next tick records the end once it has stopped,
        // so a new job cannot start while this one still holds the CPU.
        logger.LogInformation("Cancelling training job {JobId}", info.JobId);
        await _cancellation!.CancelAsync();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // A stale job was already failed by OnActivateAsync; a finished one no longer needs the reminder.
        if (state.State.Info is null or { IsFinished: true })
        {
            await UnregisterRecoveryReminderAsync();
        }
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        if (state.State.Info is not { IsFinished: false } info)
        {
            _timer?.Dispose();
            return;
        }

        if (_work is null)
        {
            await LaunchAsync(info);
            return;
        }

        if (_progress.Latest is { } progress)
        {
            state.State.Info = info = WithProgress(info, progress);
            if (progress.Epoch != _lastWrittenEpoch)
            {
                _lastWrittenEpoch = progress.Epoch;
                await state.WriteStateAsync(cancellationToken);
            }
        }

        if (_work.IsCompleted)
        {
            await CompleteAsync(info, _work);
        }
    }

    private async Task LaunchAsync(TrainingJobInfo info)
    {
        var production = await GrainFactory.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default).GetProductionAsync();
        if (production is null)
        {
            await FinishAsync(info with { Status = TrainingJobStatus.Failed, Phase = "done", Error = "there is no production model to start from", FinishedAt = time.GetUtcNow() });
            return;
        }

        var dataset = GrainFactory.GetGrain<IDatasetGrain>(WellKnownKeys.Default);
        // Page by page: one message per page, not the whole catalogue in one.
        var images = await dataset.ReadTrainingImagesAsync();
        var gate = await dataset.ReadGateSetAsync();
        info = info with
        {
            Status = TrainingJobStatus.Running, Phase = "loading", StartedAt = time.GetUtcNow(), ParentVersion = production.Version,
            Silo = silo.SiloAddress.ToParsableString(),
        };
        state.State.Info = info;
        await state.WriteStateAsync();

        // The training thread gets these locals, never the grain's state or fields.
        var (jobId, request) = (info.JobId, info.Request);
        var parent = new ModelOnDisk(production.Version, production.Directory);
        _cancellation = new CancellationTokenSource();
        _work = executor.Run(jobId, token => runner.Run(jobId, request, images, parent, gate, _progress, token), _cancellation.Token);
        logger.LogInformation("Training job {JobId} launched on {Images} labelled images from {Parent} (gate set version {GateVersion}: {GateImages} images held out)",
            info.JobId, images.Count, production.Version, gate.Version, gate.Images.Count);
    }

    private async Task CompleteAsync(TrainingJobInfo info, Task<RetrainResult> work)
    {
        var now = time.GetUtcNow();
        if (work.IsCanceled || work.Exception?.InnerException is OperationCanceledException)
        {
            await FinishAsync(info with { Status = TrainingJobStatus.Cancelled, Phase = "done", FinishedAt = now });
            return;
        }

        if (work.Exception is { } failure)
        {
            var error = failure.InnerException ?? failure;
            logger.LogError(error, "Training job {JobId} failed", info.JobId);
            await FinishAsync(info with { Status = TrainingJobStatus.Failed, Phase = "done", Error = error.Message, FinishedAt = now });
            return;
        }

        var result = await work;
        state.State.Info = info = info with
        {
            Phase = "registering",
            ResultVersion = result.Card.Version,
            History = result.Card.History.Select(e => new TrainingEpoch(e.Epoch, e.TrainingLoss, e.TrainingAccuracy, e.ValidationLoss, e.ValidationAuc, e.Seconds)).ToList(),
            Gate = result.Gate,
        };
        await state.WriteStateAsync();
        try
        {
            var registry = GrainFactory.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default);
            await registry.RegisterAsync(ModelCardMapper.ToVersionInfo(result.Card, result.Directory));
            var (promoted, reason) = (false, $"not promoted: the job was asked to leave production alone; the gate says it {result.Gate.Summary}");
            if (info.Request.Promote)
            {
                var decision = await registry.PromoteAsync(result.Card.Version, force: false, $"retrain {info.JobId}", result.Gate);
                (promoted, reason) = (decision.Promoted, decision.Reason);
            }

            await FinishAsync(info with
            {
                Status = TrainingJobStatus.Completed, Phase = "done", Progress = 100, FinishedAt = time.GetUtcNow(),
                Promoted = promoted, PromotionReason = reason,
            });
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogError(ex, "Training job {JobId} trained {Version} but could not register it", info.JobId, result.Card.Version);
            await FinishAsync(info with { Status = TrainingJobStatus.Failed, Phase = "done", Error = $"registering {result.Card.Version} failed: {ex.Message}", FinishedAt = time.GetUtcNow() });
        }
    }

    private async Task FinishAsync(TrainingJobInfo finished)
    {
        state.State.Info = finished;
        await state.WriteStateAsync();
        _timer?.Dispose();
        _timer = null;
        _work = null;
        _cancellation?.Dispose();
        _cancellation = null;
        await UnregisterRecoveryReminderAsync();
        // Not awaited: the coordinator may be waiting on this grain (GetAsync) right now; awaiting it could deadlock.
        GrainFactory.GetGrain<ITrainingCoordinatorGrain>(WellKnownKeys.Default).JobEndedAsync(finished.JobId).Ignore();
        logger.LogInformation("Training job {JobId} ended {Status}{Error}", finished.JobId, finished.Status, finished.Error is null ? "" : $": {finished.Error}");
    }

    private async Task UnregisterRecoveryReminderAsync()
    {
        if (await this.GetReminder(RecoveryReminder) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    private static TrainingJobInfo WithProgress(TrainingJobInfo info, TrainingProgress progress) => info with
    {
        Phase = progress.Phase,
        Epoch = progress.Epoch,
        Batch = progress.Batch,
        BatchesPerEpoch = progress.BatchesPerEpoch,
        Progress = Math.Round(progress.Fraction * 100, 2),
        Loss = progress.Epoch > 0 ? progress.TrainingLoss : null,
        Accuracy = progress.Epoch > 0 ? progress.TrainingAccuracy : null,
        ValidationAuc = progress.ValidationAuc,
        Eta = progress.Eta,
        ImagesDone = progress.ImagesDone,
        ImagesTotal = progress.ImagesTotal,
    };
}
