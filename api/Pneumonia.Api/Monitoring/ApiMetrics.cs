using System.Diagnostics.Metrics;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Telemetry;
using Pneumonia.ServiceDefaults;

namespace Pneumonia.Api.Monitoring;

/// <summary>
/// The API's own instruments (meter <see cref="MeterName"/>; with ASP.NET Core's, the runtime's and Orleans' they
/// are served at <c>/metrics/prometheus</c>, see docs/monitoring/README.md): predictions by outcome and model
/// version, prediction time, retries, uploaded files, and gauges for the production model and the latest training
/// job, read from the grains just before each scrape.
/// </summary>
public sealed class ApiMetrics
{
    /// <summary>The meter's name; the hosts subscribe to <c>Pneumonia.*</c>.</summary>
    public const string MeterName = "Pneumonia.Api";

    private static readonly string[] JobStates = ["idle", "pending", "running", "completed", "failed", "cancelled"];

    private readonly Counter<long> _predictions;
    private readonly Histogram<double> _predictionSeconds;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _uploadedFiles;
    private readonly ILogger<ApiMetrics> _logger;
    private volatile Snapshot _snapshot = new(null, null, []);

    public ApiMetrics(IMeterFactory meters, ILogger<ApiMetrics> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _logger = logger;
        var meter = meters.Create(MeterName);
        // Names as prometheus-net exported them before (the exporter adds _total to counters and _seconds for unit s).
        _predictions = meter.CreateCounter<long>("pneumonia.predictions", null, "Images classified, by outcome (ok or the error code) and model version.");
        _predictionSeconds = meter.CreateHistogram<double>("pneumonia.prediction", "s", "Model time per classified image, as the prediction grain reports it.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = GrainMetrics.ExponentialBuckets(0.001, 2, 14) });
        _retries = meter.CreateCounter<long>("pneumonia.prediction.retries", null,
            "Prediction attempts retried on another predictor because their silo failed, did not answer or had no model loaded yet, by the failure's type.");
        _uploadedFiles = meter.CreateCounter<long>("pneumonia.uploaded_files", null, "Uploaded files and archive entries, by status.");
        meter.CreateObservableGauge("pneumonia.model.info", () => _snapshot.Production is { } production
            ? [new Measurement<int>(1, new KeyValuePair<string, object?>("version", production.Version))]
            : Array.Empty<Measurement<int>>(), description: "1 for the production model version.");
        meter.CreateObservableGauge("pneumonia.model.ready", () => _snapshot.Production is null ? 0 : 1,
            description: "1 when a production model is registered, else 0.");
        meter.CreateObservableGauge("pneumonia.training.job.state", () => JobStates.Select(state =>
            new Measurement<int>(state == JobState(_snapshot.Job) ? 1 : 0, new KeyValuePair<string, object?>("state", state))),
            description: "1 for the state of the latest training job (idle when there is none).");
        meter.CreateObservableGauge("pneumonia.training.job.phase", () => _snapshot.Job is { } job
            ? [new Measurement<int>(1, new KeyValuePair<string, object?>("phase", job.Phase))]
            : Array.Empty<Measurement<int>>(), description: "1 for the phase of the latest training job (loading, training, evaluating, ...).");
        meter.CreateObservableGauge("pneumonia.training.job.progress", () => _snapshot.Job?.Progress ?? 0,
            description: "Progress of the latest training job, 0-100.");
        // Predictor loss and rejoin, as the cluster's membership sees it (a restarted silo comes back with a new generation).
        meter.CreateObservableGauge("pneumonia.cluster.silo.active", () => _snapshot.Silos.Select(silo => new Measurement<int>(1,
                new KeyValuePair<string, object?>("silo", silo.Address), new KeyValuePair<string, object?>("name", silo.Name),
                new KeyValuePair<string, object?>("gateway", silo.Gateway ? "yes" : "no"))),
            description: "1 for each silo the cluster's membership lists as active.");
        meter.CreateObservableGauge("pneumonia.cluster.silos.active", () => _snapshot.Silos.Count, description: "Silos the membership lists as active.");
        meter.CreateObservableGauge("pneumonia.cluster.gateways.active", () => _snapshot.Silos.Count(s => s.Gateway),
            description: "Active silos with a client gateway, which front ends send predictions through (the predictors, in the documented layout).");
    }

    /// <summary>Counts <paramref name="count"/> classified images with their outcome and the model version that answered.</summary>
    public void Predicted(string outcome, string? modelVersion, long count = 1) =>
        _predictions.Add(count, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("model_version", modelVersion ?? "none"));

    public void PredictionTime(TimeSpan elapsed) => _predictionSeconds.Record(elapsed.TotalSeconds);

    /// <summary>Counts and logs a prediction attempt that is retried on another key.</summary>
    public void Retried(int attempt, Exception reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        _retries.Add(1, new KeyValuePair<string, object?>("failure", reason.GetType().Name));
        _logger.LogWarning(reason, "Prediction attempt {Attempt} failed ({Reason}); retrying on another grain key", attempt, reason.GetType().Name);
    }

    public void Uploaded(string status, long count)
    {
        if (count > 0)
        {
            _uploadedFiles.Add(count, new KeyValuePair<string, object?>("status", status));
        }
    }

    /// <summary>Reads the production model, the latest job and the active silos from the grains for the gauges (before a scrape).</summary>
    public async Task RefreshAsync(IGrainFactory grains)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var production = await grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default).GetProductionAsync();
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: true);
        var silos = hosts.Where(h => h.Status == SiloStatus.Active)
            .Select(h => new ActiveSilo(h.SiloAddress.ToParsableString(), h.SiloName ?? "", h.ProxyPort > 0)).ToList();
        // While no trainer silo is up the job cannot be read: its gauges keep their last values, the others still move.
        TrainingJobInfo? job;
        try
        {
            job = await grains.GetGrain<ITrainingCoordinatorGrain>(WellKnownKeys.Default).GetLatestAsync();
        }
        catch (OrleansException)
        {
            job = _snapshot.Job;
        }

        _snapshot = new Snapshot(production, job, silos);
    }

    private static string JobState(TrainingJobInfo? job) => job is null ? "idle" : job.Status.ToString().ToLowerInvariant();

    private sealed record ActiveSilo(string Address, string Name, bool Gateway);

    private sealed record Snapshot(ProductionModel? Production, TrainingJobInfo? Job, IReadOnlyList<ActiveSilo> Silos);
}

/// <summary>Registration of the API's instruments and the refresh of its gauges before each Prometheus scrape.</summary>
public static class MonitoringExtensions
{
    public static WebApplicationBuilder AddPneumoniaMonitoring(this WebApplicationBuilder builder)
    {
        builder.AddPneumoniaTelemetry("pneumonia-api");
        builder.AddPneumoniaHealthChecks();
        builder.Services.AddSingleton<ApiMetrics>();
        return builder;
    }

    /// <summary>
    /// Operational metrics at <c>/metrics/prometheus</c> (<c>/metrics</c> is the model's quality metrics) and the
    /// probes <c>/health/live</c> and <c>/health/ready</c>.
    /// </summary>
    public static WebApplication MapPneumoniaMonitoring(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<ApiMetrics>();
        app.UseWhen(context => context.Request.Path.StartsWithSegments(PneumoniaTelemetry.PrometheusPath, StringComparison.OrdinalIgnoreCase), scrape =>
            scrape.Use(async (context, next) =>
            {
                try
                {
                    await metrics.RefreshAsync(context.RequestServices.GetRequiredService<IGrainFactory>());
                }
                catch (Exception ex) when (ex is OrleansException or TimeoutException or InvalidOperationException)
                {
                    // The other metrics are still worth serving; the gauges keep their last values.
                    app.Logger.LogWarning(ex, "Could not refresh the model and job gauges from the grains");
                }

                await next(context);
            }));
        app.MapPneumoniaTelemetry();
        app.MapPneumoniaHealthChecks();
        return app;
    }
}
