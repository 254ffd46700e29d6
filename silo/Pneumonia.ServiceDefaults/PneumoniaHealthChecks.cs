using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;

namespace Pneumonia.ServiceDefaults;

/// <summary>
/// Kubernetes-style probes on every process: <c>GET /health/live</c> (the process runs and answers: restart it if
/// not) and <c>GET /health/ready</c> (send it traffic: model loaded, cluster reachable, storage writable). Each
/// answers 200 or 503 with a JSON body naming every check and its status.
/// </summary>
public static class PneumoniaHealthChecks
{
    /// <summary>The tag of the checks <c>/health/live</c> runs.</summary>
    public const string LiveTag = "live";

    /// <summary>The tag of the checks <c>/health/ready</c> runs.</summary>
    public const string ReadyTag = "ready";

    public const string LivePath = "/health/live";

    public const string ReadyPath = "/health/ready";

    /// <summary>Check names (the keys of the JSON answer).</summary>
    public const string Process = "process";

    public const string Model = "model";

    public const string Cluster = "cluster";

    public const string Storage = "storage";

    /// <summary>
    /// Reserved for the readiness check that the base data set was found and imported (not registered here). Add it
    /// with <c>builder.Services.AddHealthChecks().AddCheck&lt;T&gt;(PneumoniaHealthChecks.BaseDataset, tags: [PneumoniaHealthChecks.ReadyTag])</c>:
    /// every check tagged <see cref="ReadyTag"/> takes part in <c>/health/ready</c>.
    /// </summary>
    public const string BaseDataset = "base-dataset";

    /// <summary>Registers the liveness check and the readiness checks (model, cluster, storage).</summary>
    public static IHostApplicationBuilder AddPneumoniaHealthChecks(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHealthChecks()
            .AddCheck(Process, () => HealthCheckResult.Healthy("The process answers."), tags: [LiveTag])
            .AddCheck<ModelHealthCheck>(Model, tags: [ReadyTag])
            .AddCheck<ClusterHealthCheck>(Cluster, tags: [ReadyTag])
            .AddCheck<StorageHealthCheck>(Storage, tags: [ReadyTag]);
        return builder;
    }

    /// <summary>Maps <see cref="LivePath"/> and <see cref="ReadyPath"/> (anonymous, outside the OpenAPI document).</summary>
    public static IEndpointRouteBuilder MapPneumoniaHealthChecks(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks(LivePath, Probe(LiveTag)).AllowAnonymous();
        app.MapHealthChecks(ReadyPath, Probe(ReadyTag)).AllowAnonymous();
        return app;
    }

    private static HealthCheckOptions Probe(string tag) => new()
    {
        Predicate = check => check.Tags.Contains(tag),
        ResponseWriter = WriteAsync,
    };

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var body = new
        {
            status = report.Status.ToString().ToLowerInvariant(),
            duration_ms = Math.Round(report.TotalDuration.TotalMilliseconds, 1),
            checks = report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new
                {
                    status = entry.Value.Status.ToString().ToLowerInvariant(),
                    description = entry.Value.Description ?? entry.Value.Exception?.Message,
                    duration_ms = Math.Round(entry.Value.Duration.TotalMilliseconds, 1),
                }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
