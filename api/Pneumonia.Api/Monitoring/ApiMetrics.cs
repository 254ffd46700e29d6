using Pneumonia.Abstractions;
using Prometheus;

namespace Pneumonia.Api.Monitoring;

/// <summary>
/// The operational metrics of one API instance, in its own registry (so two apps in one process, as in tests, do
/// not share series): HTTP requests and latencies from prometheus-net's middleware, prediction and upload counters,
/// and gauges for the production model and the training job, refreshed from the grains at each scrape.
/// </summary>
public sealed class ApiMetrics
{
    private static readonly string[] JobStates = ["idle", "pending", "running", "completed", "failed", "cancelled"];

    private readonly Gauge _modelInfo;
    private readonly Gauge _modelReady;
    private readonly Gauge _jobState;
    private readonly Gauge _jobProgress;
    private readonly Gauge _silos;
    private readonly Gauge _silosActive;
    private readonly Gauge _gatewaysActive;
    private readonly Lock _lock = new();
    private string? _publishedVersion;

    public ApiMetrics(IGrainFactory grains, ILogger<ApiMetrics> logger)
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        Predictions = factory.CreateCounter("pneumonia_predictions_total", "Images classified, by outcome (ok or the error code).", "outcome");
        PredictionSeconds = factory.CreateHistogram("pneumonia_prediction_seconds", "Model time per classified image, as the prediction grain reports it.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });
        PredictionRetries = factory.CreateCounter("pneumonia_prediction_retries_total",
            "Prediction attempts retried on another predictor because their silo failed, did not answer or had no model loaded yet, by the failure's type.", "failure");
        _silos = factory.CreateGauge("pneumonia_cluster_silo_active",
            "1 for each silo the cluster's membership lists as active (a silo that dies or stops leaves the series; a restarted one comes back with a new generation).",
            "silo", "name", "gateway");
        _silosActive = factory.CreateGauge("pneumonia_cluster_silos_active", "Silos the membership lists as active.");
        _gatewaysActive = factory.CreateGauge("pneumonia_cluster_gateways_active",
            "Active silos with a client gateway, which front ends send predictions through (the predictors, in the documented layout).");
        UploadedFiles = factory.CreateCounter("pneumonia_uploaded_files_total", "Uploaded files and archive entries, by status.", "status");
        _modelInfo = factory.CreateGauge("pneumonia_model_info", "1 for the production model version.", "version");
        _modelReady = factory.CreateGauge("pneumonia_model_ready", "1 when a production model is registered, else 0.");
        _jobState = factory.CreateGauge("pneumonia_training_job_state", "1 for the state of the latest training job (idle when there is none).", "state");
        _jobProgress = factory.CreateGauge("pneumonia_training_job_progress", "Progress of the latest training job, 0-100.");
        Registry.AddBeforeCollectCallback(async cancellationToken =>
        {
            try
            {
                await RefreshAsync(grains);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Could not refresh the model and job gauges from the grains");
            }
        });
    }

    /// <summary>The registry served at <c>/metrics/prometheus</c>.</summary>
    public CollectorRegistry Registry { get; }

    public Counter Predictions { get; }

    public Histogram PredictionSeconds { get; }

    public Counter PredictionRetries { get; }

    public Counter UploadedFiles { get; }

    private static async Task<(bool Known, TrainingJobInfo? Job)> LatestJobAsync(IGrainFactory grains)
    {
        try
        {
            return (true, await grains.GetGrain<ITrainingCoordinatorGrain>(WellKnownKeys.Default).GetLatestAsync());
        }
        catch (OrleansException)
        {
            return (false, null);
        }
    }

    private async Task RefreshAsync(IGrainFactory grains)
    {
        var production = await grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default).GetProductionAsync();
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true);
        // While no trainer silo is up the job cannot be read (its gauges keep their values); the others still are.
        var (jobKnown, job) = await LatestJobAsync(grains);
        lock (_lock)
        {
            var active = hosts.Where(h => h.Status == SiloStatus.Active).ToList();
            foreach (var labels in _silos.GetAllLabelValues().ToList())
            {
                if (!active.Any(h => h.SiloAddress.ToParsableString() == labels[0]))
                {
                    _silos.RemoveLabelled(labels);
                }
            }

            foreach (var host in active)
            {
                _silos.WithLabels(host.SiloAddress.ToParsableString(), host.SiloName ?? "", host.ProxyPort > 0 ? "yes" : "no").Set(1);
            }

            _silosActive.Set(active.Count);
            _gatewaysActive.Set(active.Count(h => h.ProxyPort > 0));

            if (_publishedVersion is not null && _publishedVersion != production?.Version)
            {
                _modelInfo.RemoveLabelled(_publishedVersion);
            }

            _publishedVersion = production?.Version;
            if (production is not null)
            {
                _modelInfo.WithLabels(production.Version).Set(1);
            }

            _modelReady.Set(production is null ? 0 : 1);
            if (jobKnown)
            {
                var state = job is null ? "idle" : job.Status.ToString().ToLowerInvariant();
                foreach (var known in JobStates)
                {
                    _jobState.WithLabels(known).Set(known == state ? 1 : 0);
                }

                _jobProgress.Set(job?.Progress ?? 0);
            }
        }
    }
}

/// <summary>Registration, middleware and endpoint of the Prometheus metrics.</summary>
public static class MonitoringExtensions
{
    public static WebApplicationBuilder AddPneumoniaMonitoring(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ApiMetrics>();
        return builder;
    }

    public static IApplicationBuilder UsePneumoniaHttpMetrics(this IApplicationBuilder app)
    {
        var registry = app.ApplicationServices.GetRequiredService<ApiMetrics>().Registry;
        return app.UseHttpMetrics(options =>
        {
            options.InProgress.Registry = registry;
            options.RequestCount.Registry = registry;
            options.RequestDuration.Registry = registry;
        });
    }

    /// <summary>Operational metrics at <c>/metrics/prometheus</c> (<c>/metrics</c> is the model's quality metrics).</summary>
    public static WebApplication MapPneumoniaMonitoring(this WebApplication app)
    {
        app.MapMetrics("/metrics/prometheus", app.Services.GetRequiredService<ApiMetrics>().Registry)
            .ExcludeFromDescription();
        return app;
    }
}
