using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Hosting;
using Pneumonia.Grains.Placement;
using Pneumonia.Grains.Prediction;

namespace Pneumonia.ServiceDefaults;

/// <summary>
/// Ready when this process can answer predictions: a silo with the predictor role has loaded the production model;
/// a silo without it (a trainer) needs none; an API in client mode needs the cluster to name a production model.
/// </summary>
internal sealed class ModelHealthCheck(IServiceProvider services, IGrainFactory grains) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (services.GetService<IProductionModelStatus>() is { } local)
        {
            var roles = SiloRoles.Parse(services.GetRequiredService<IOptions<SiloRoleOptions>>().Value.Roles);
            if (!roles.Contains(SiloRoles.Predictor))
            {
                return HealthCheckResult.Healthy("This silo has no predictor role and serves no model.");
            }

            return local.IsReady
                ? HealthCheckResult.Healthy($"Production model {local.Version} is loaded.")
                : HealthCheckResult.Unhealthy(local.LastError is { } error ? $"No model is loaded: {error}" : "No production model is loaded yet.");
        }

        var production = await grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default).GetProductionAsync().WaitAsync(cancellationToken);
        return production is null
            ? HealthCheckResult.Unhealthy("The cluster has no production model yet.")
            : HealthCheckResult.Healthy($"The cluster serves production model {production.Version}.");
    }
}

/// <summary>Ready when a grain call reaches the cluster (the model registry answers) within <see cref="Timeout"/>.</summary>
internal sealed class ClusterHealthCheck(IGrainFactory grains) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default).GetProductionAsync().WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy("The grain cluster answers.");
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException or InvalidOperationException)
        {
            return HealthCheckResult.Unhealthy($"The grain cluster did not answer within {Timeout.TotalSeconds:0} s.", ex);
        }
    }
}

/// <summary>
/// Ready when the data directory (image store and model versions, <c>Pneumonia:Data:DataDirectory</c>) takes a
/// write: a full or read-only disk would otherwise show only when an upload or a retrain fails.
/// </summary>
internal sealed class StorageHealthCheck(IOptions<PneumoniaDataOptions> data) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var directory = data.Value.DataDirectory;
        var probe = Path.Combine(directory, $".health-{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(directory);
            await File.WriteAllBytesAsync(probe, [1], cancellationToken);
            return HealthCheckResult.Healthy($"{directory} is writable.");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return HealthCheckResult.Unhealthy($"{directory} is not writable: {ex.Message}", ex);
        }
        finally
        {
            if (File.Exists(probe))
            {
                File.Delete(probe);
            }
        }
    }
}
