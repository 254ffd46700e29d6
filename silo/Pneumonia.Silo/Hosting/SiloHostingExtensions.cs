using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Pneumonia.Abstractions;
using Pneumonia.Silo.Reminders;
using Pneumonia.Silo.Storage;

namespace Pneumonia.Silo.Hosting;

/// <summary>Hosts the Pneumonia silo inside any .NET host (the web app, a worker, a test).</summary>
public static class SiloHostingExtensions
{
    /// <summary>
    /// Adds one silo as configured in <see cref="PneumoniaSiloOptions"/>: its membership (<c>Clustering</c>: Redis for a
    /// cluster of several silos, else localhost clustering for a single one), grain storage
    /// <see cref="GrainStorage.Name"/> (also the Orleans default storage) and reminders (<c>Persistence</c>: files in
    /// the data directory, Redis or memory) and, when enabled, the dashboard.
    /// </summary>
    /// <param name="builder">The host builder.</param>
    /// <param name="configure">Further silo configuration, such as grains' own services; runs last.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="OptionsValidationException">The configured options are invalid.</exception>
    public static IHostApplicationBuilder AddPneumoniaSilo(this IHostApplicationBuilder builder, Action<ISiloBuilder>? configure = null)
    {
        builder.Services.AddOptions<PneumoniaSiloOptions>()
            .BindConfiguration(PneumoniaSiloOptions.SectionName)
            .PostConfigure<IConfiguration>((silo, configuration) => silo.ApplyPortOffset(configuration))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // The options decide which services exist, and Orleans reads the ports while the host resolves its services,
        // before the start-up validation above runs: so they are read and validated now, with the same rules.
        var options = builder.Configuration.GetSection(PneumoniaSiloOptions.SectionName).Get<PneumoniaSiloOptions>() ?? new();
        options.ApplyPortOffset(builder.Configuration);
        var validation = new DataAnnotationValidateOptions<PneumoniaSiloOptions>(Options.DefaultName).Validate(Options.DefaultName, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(PneumoniaSiloOptions), validation.Failures);
        }

        SiloPorts.EnsureFree(options);
        var dataDirectory = Path.GetFullPath(options.DataDirectory, builder.Environment.ContentRootPath);

        // Registered before Orleans' own hosted service, so it runs (and can refuse) before the silo joins.
        builder.Services.AddHostedService<RedisPersistenceCheck>();
        // The whole stop (leaving the membership, grain deactivation, in-flight requests) within ShutdownTimeout.
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);

        builder.UseOrleans(silo =>
        {
            // A grain's OnDeactivateAsync may not hold a stopping silo longer than half the stop budget (Orleans: 30 s).
            silo.Configure<GrainCollectionOptions>(collection => collection.DeactivationTimeout = options.ShutdownTimeout / 2);
            if (options.Clustering == SiloClustering.Redis)
            {
                silo.UseRedisClusterMembership(options);
            }
            else
            {
                silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            }

            switch (options.Persistence)
            {
                case SiloPersistence.Memory:
                    silo.AddMemoryGrainStorage(GrainStorage.Name)
                        .AddMemoryGrainStorageAsDefault()
                        .UseInMemoryReminderService();
                    break;
                case SiloPersistence.Redis:
                    silo.UseRedisPersistence(options.Redis!);
                    break;
                default:
                    silo.AddFileGrainStorage(GrainStorage.Name, storage => storage.DataDirectory = dataDirectory)
                        .AddFileGrainStorageAsDefault(storage => storage.DataDirectory = dataDirectory)
                        .UseFileReminderService(reminders => reminders.DataDirectory = dataDirectory);
                    break;
            }

            if (options.DashboardEnabled)
            {
                silo.AddDashboard();
            }

            configure?.Invoke(silo);
        });
        return builder;
    }
}
