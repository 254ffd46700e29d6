using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Dataset;
using Pneumonia.Grains.Models;
using Pneumonia.Grains.Placement;
using Pneumonia.Grains.Prediction;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Grains.Hosting;

/// <summary>
/// What each silo does once grains can be called, in order: register the bundled model if the registry is empty,
/// on a trainer silo ask the coordinator for the latest job (which marks a job of a dead silo failed; a predictor
/// does not ask, so it starts while no trainer is up), then, on a predictor silo, load
/// the production model and keep checking the registry for a new production version (a trainer-only silo serves no
/// predictions and keeps no model in memory). The optional base data set import runs in the background.
/// </summary>
internal sealed class PneumoniaSiloStartup(
    IGrainFactory grains,
    IModelStore models,
    ProductionModelHost host,
    BaseDatasetImporter importer,
    IOptions<PneumoniaDataOptions> data,
    IOptions<PredictionOptions> prediction,
    IOptions<SiloRoleOptions> roles,
    TimeProvider time,
    ILogger<PneumoniaSiloStartup> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _refresh = Task.CompletedTask;
    private Task _import = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PneumoniaSiloStartup), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    public void Dispose() => _stopping.Dispose();

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var registry = grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default);
        if (await registry.GetProductionAsync() is null)
        {
            await RegisterBundledModelAsync(registry);
        }

        var siloRoles = SiloRoles.Parse(roles.Value.Roles);
        if (siloRoles.Contains(SiloRoles.Trainer))
        {
            // Only a trainer can host a job, so only a trainer looks for one its dead predecessor left running (which
            // this marks failed). A predictor asking would need a trainer to be up, and would not start without one.
            var latest = await grains.GetGrain<ITrainingCoordinatorGrain>(WellKnownKeys.Default).GetLatestAsync();
            if (latest is not null)
            {
                logger.LogInformation("Latest training job {JobId} is {Status}", latest.JobId, latest.Status);
            }
        }

        if (siloRoles.Contains(SiloRoles.Predictor))
        {
            await RefreshAsync(registry, cancellationToken);
            _refresh = RefreshLoopAsync(registry, _stopping.Token);
        }

        if (await BaseDatasetToImportAsync() is { } basePath)
        {
            _import = Task.Run(() => ImportBaseDatasetAsync(basePath, _stopping.Token), CancellationToken.None);
        }
    }

    /// <summary>
    /// Records the base data set's state before anything can ask (so a retrain sent right after start-up sees
    /// "importing", never an empty data set) and returns the path to import, or null when there is nothing to do.
    /// </summary>
    private async Task<string?> BaseDatasetToImportAsync()
    {
        var dataset = grains.GetGrain<IDatasetGrain>(WellKnownKeys.Default);
        var statistics = await dataset.GetStatisticsAsync();
        var path = data.Value.BaseDatasetPath;
        var imported = statistics.Batches.Any(b => b.Source == BaseDatasetImporter.Source);
        BaseDataStatus status;
        string? toImport = null;
        if (imported)
        {
            status = Status(BaseDataState.Imported, path, "The base data set is imported.");
        }
        else if (string.IsNullOrEmpty(path))
        {
            status = Status(BaseDataState.NotConfigured, null,
                "No base data set is configured (Pneumonia:Data:BaseDatasetPath is empty): retrains use uploaded images only.");
        }
        else if (!File.Exists(path) && !Directory.Exists(path))
        {
            status = Status(BaseDataState.NotFound, path,
                $"The base data set was not found at {path}: retrains use uploaded images only. Set Pneumonia:Data:BaseDatasetPath to the chest_xray folder (or .zip) to use it.");
        }
        else
        {
            status = Status(BaseDataState.Importing, path, $"The base data set at {path} is being imported.");
            toImport = path;
        }

        if (status.State is BaseDataState.NotFound)
        {
            logger.LogWarning("{Message}", status.Message);
        }
        else if (status.State is not BaseDataState.Imported)
        {
            logger.LogInformation("{Message}", status.Message);
        }

        await dataset.SetBaseDataStatusAsync(status);
        return toImport;
    }

    private BaseDataStatus Status(BaseDataState state, string? path, string message) => new(state, path, message, time.GetUtcNow());

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await Task.WhenAll(_refresh, _import).WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task RegisterBundledModelAsync(IModelRegistryGrain registry)
    {
        var bundled = data.Value.BundledModelDirectory;
        if (!File.Exists(Path.Combine(bundled, ModelPackage.CardFileName)))
        {
            logger.LogWarning("No model registered and no bundled model at {Directory}: predictions are unavailable until one is registered", bundled);
            return;
        }

        var (card, directory) = models.Import(bundled);
        await registry.RegisterAsync(ModelCardMapper.ToVersionInfo(card, directory));
        logger.LogInformation("Registered the bundled model {Version} as production", card.Version);
    }

    private async Task RefreshLoopAsync(IModelRegistryGrain registry, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(prediction.Value.ModelRefreshInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await RefreshAsync(registry, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A failed check (registry busy, silo shutting down) is retried at the next tick.
                    logger.LogWarning(ex, "Checking the production model failed");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RefreshAsync(IModelRegistryGrain registry, CancellationToken cancellationToken)
    {
        if (await registry.GetProductionAsync() is { } production)
        {
            await host.EnsureLoadedAsync(production, cancellationToken);
        }
    }

    private async Task ImportBaseDatasetAsync(string path, CancellationToken cancellationToken)
    {
        var dataset = grains.GetGrain<IDatasetGrain>(WellKnownKeys.Default);
        try
        {
            logger.LogInformation("Importing the base data set from {Path}", path);
            var progress = new Progress<int>(files => dataset.SetBaseDataStatusAsync(
                Status(BaseDataState.Importing, path, $"The base data set at {path} is being imported: {files:N0} files read so far.")).Ignore());
            var batch = await importer.ImportAsync(path, progress: progress, cancellationToken: cancellationToken);
            var message = $"The base data set is imported: {batch.Accepted:N0} images accepted, {batch.Duplicates:N0} duplicates, {batch.Rejected:N0} rejected.";
            logger.LogInformation("{Message}", message);
            await dataset.SetBaseDataStatusAsync(Status(BaseDataState.Imported, path, message));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The silo is stopping; the next start imports again (the import is idempotent).
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            logger.LogError(ex, "Importing the base data set from {Path} failed", path);
            await dataset.SetBaseDataStatusAsync(Status(BaseDataState.Failed, path, $"Importing the base data set from {path} failed: {ex.Message}"));
        }
    }
}
