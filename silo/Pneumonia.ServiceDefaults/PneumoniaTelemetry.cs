using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Pneumonia.ServiceDefaults;

/// <summary>
/// OpenTelemetry on every process: the metrics of ASP.NET Core and Kestrel, the .NET runtime, Orleans and our own
/// meters (<c>Pneumonia.*</c>) on <see cref="PrometheusPath"/>; traces of HTTP requests and grain calls; all of it
/// (logs too) exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is configured. docs/monitoring/README.md
/// lists the metric names, the scrape configuration and the alert rules.
/// </summary>
public static class PneumoniaTelemetry
{
    /// <summary>Where Prometheus scrapes (<c>/metrics</c> is the model's quality metrics on the API).</summary>
    public const string PrometheusPath = "/metrics/prometheus";

    /// <summary>The standard OpenTelemetry setting that turns on the OTLP exporter (e.g. <c>http://collector:4317</c>).</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Orleans' meter (membership, messaging, grain calls, activations) and its trace sources.</summary>
    private const string OrleansMeter = "Microsoft.Orleans";

    private static readonly string[] OrleansSources = ["Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application"];

    /// <summary>Registers metrics, traces and the exporters; <paramref name="serviceName"/> names the process kind.</summary>
    public static IHostApplicationBuilder AddPneumoniaTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(OrleansMeter, "Pneumonia.*")
                // Each scrape sees the current values (the default caches a scrape for 300 ms).
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0))
            // Always on, even without an exporter: the W3C trace id of every request then reaches its logs and its
            // ProblemDetails (WithTraceIdInProblemDetails), so a client's error report finds the server's logs.
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsProbe(context.Request.Path))
                .AddSource(OrleansSources));
        if (!string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointSetting]))
        {
            telemetry.WithLogging(configureBuilder: null, configureOptions: logs => logs.IncludeFormattedMessage = true).UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>Serves the Prometheus text format at <see cref="PrometheusPath"/> (anonymous, outside the OpenAPI document).</summary>
    public static IEndpointRouteBuilder MapPneumoniaTelemetry(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPrometheusScrapingEndpoint(PrometheusPath).AllowAnonymous();
        return app;
    }

    /// <summary>The W3C trace id of the current request, or ASP.NET Core's request id when no trace is recorded.</summary>
    public static string TraceId(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Activity.Current?.TraceId.ToHexString() ?? context.TraceIdentifier;
    }

    // Probes and scrapes every few seconds would drown the traces that matter.
    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments(PrometheusPath, StringComparison.OrdinalIgnoreCase);
}
