using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pneumonia.Grains.Hosting;
using Pneumonia.Grains.Prediction;
using Pneumonia.Silo.Hosting;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// The pieces of one test cluster on a real Redis, built by the production hosting code: silos in this process
/// (<c>AddPneumoniaSilo</c> + <c>AddPneumoniaGrains</c>), silos as separate <c>pneumonia-silo</c> processes (to kill
/// them for real), and API front ends as Orleans clients. A unique service id keeps the cluster's keys apart from any
/// other cluster on the same Redis; every piece shares <see cref="DataDirectory"/> and the tiny bundled model.
/// </summary>
/// <remarks>
/// With <paramref name="azureBlob"/> (a connection string) the pieces share no directory at all: each has its own data
/// directory (its local cache), and images and model versions are in an Azure Blob Storage container of its own.
/// </remarks>
public sealed class ClusterParts(string redis, TempDirectory root, string bundledModelDirectory, string? azureBlob = null)
{
    public const string ApiKey = "cluster-test-api-key-0123456789";

    public string ServiceId { get; } = $"pneumonia-test-{Guid.NewGuid():N}"[..30];

    public string DataDirectory => root.Combine("data");

    /// <summary>The data directory of one piece: the shared one, or its own with an object store.</summary>
    public string DataDirectoryOf(string name) => azureBlob is null ? DataDirectory : root.Combine(name, "data");

    private void AddStore(Dictionary<string, string?> settings, string name)
    {
        settings["Pneumonia:Data:DataDirectory"] = DataDirectoryOf(name);
        if (azureBlob is not null)
        {
            settings["Pneumonia:Data:Store"] = "AzureBlob";
            settings["Pneumonia:Data:AzureBlobConnectionString"] = azureBlob;
            settings["Pneumonia:Data:AzureBlobContainer"] = ServiceId;
        }
    }

    /// <summary>The settings of a silo of this cluster (free ports unless given); <paramref name="gatewayPort"/> 0 opens none.</summary>
    public Dictionary<string, string?> SiloSettings(string name, string roles, int siloPort, int gatewayPort)
    {
        var settings = BaseSiloSettings(name, roles, siloPort, gatewayPort);
        AddStore(settings, name);
        return settings;
    }

    private Dictionary<string, string?> BaseSiloSettings(string name, string roles, int siloPort, int gatewayPort) => new Dictionary<string, string?>
    {
        ["Pneumonia:Silo:Clustering"] = "Redis",
        ["Pneumonia:Silo:Persistence"] = "Redis",
        ["Pneumonia:Silo:Redis"] = redis,
        // The tests' Redis keeps nothing on disk (it is thrown away with the run).
        ["Pneumonia:Silo:AllowRedisWithoutPersistence"] = "true",
        ["Pneumonia:Silo:ServiceId"] = ServiceId,
        ["Pneumonia:Silo:ClusterId"] = ServiceId,
        ["Pneumonia:Silo:SiloPort"] = Port(siloPort),
        ["Pneumonia:Silo:GatewayPort"] = Port(gatewayPort),
        ["Pneumonia:Silo:Roles"] = roles,
        ["Pneumonia:Silo:DashboardEnabled"] = "false",
        ["Pneumonia:Silo:DataDirectory"] = root.Combine("state", name),
        ["Pneumonia:Data:BundledModelDirectory"] = bundledModelDirectory,
        ["Pneumonia:Data:BaseDatasetPath"] = "",
        ["Pneumonia:Retrain:ProgressInterval"] = "00:00:00.100",
        ["Logging:LogLevel:Default"] = "Warning",
    }.With(TestGateSettings.Lenient);

    /// <summary>Starts a silo in this process; it records which grain classes ran on it (<see cref="ClusterSilo.CallsTo"/>).</summary>
    public async Task<ClusterSilo> StartSiloAsync(string name, string roles, bool gateway)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(SiloSettings(name, roles, FreePorts.Next(), gateway ? FreePorts.Next() : 0));
        var calls = new ConcurrentDictionary<Type, int>();
        builder.AddPneumoniaSilo(silo => silo.AddPneumoniaGrains().AddIncomingGrainCallFilter(context =>
        {
            // Where each grain class really ran, as evidence of placement (stateless workers are not in Orleans' statistics).
            calls.AddOrUpdate(context.Grain.GetType(), 1, (_, count) => count + 1);
            return context.Invoke();
        }));
        var host = builder.Build();
        await host.StartAsync();
        return new ClusterSilo(name, host, calls);
    }

    /// <summary>Starts a silo as its own <c>pneumonia-silo</c> process on the given ports; returns once it is active in the cluster.</summary>
    public async Task<SiloProcess> StartSiloProcessAsync(string name, string roles, int siloPort, int gatewayPort, ClusterSilo observer)
    {
        var settings = SiloSettings(name, roles, siloPort, gatewayPort);
        settings["urls"] = $"http://127.0.0.1:{FreePorts.Next()}";
        var silo = SiloProcess.Start(name, settings, root.Combine($"{name}-{Guid.NewGuid():N}.log"), siloPort);
        await silo.WaitUntilActiveAsync(observer.Grains.GetGrain<IManagementGrain>(0));
        return silo;
    }

    /// <summary>Starts the real API in client mode; returns once it answers <c>/health</c>.</summary>
    public async Task<FrontEnd> StartFrontEndAsync(string name = "front-end")
    {
        var frontEnd = CreateFrontEnd(name);
        using var client = frontEnd.CreateClient();
        await Wait.UntilHealthyAsync(client, "a front end to become healthy");
        return frontEnd;
    }

    /// <summary>The real API in client mode, not started yet (the first client it creates starts it).</summary>
    public FrontEnd CreateFrontEnd(string name = "front-end")
    {
        var settings = BaseFrontEndSettings();
        AddStore(settings, name);
        return new FrontEnd(settings.ToDictionary(pair => pair.Key, pair => pair.Value!));
    }

    private Dictionary<string, string?> BaseFrontEndSettings() => new()
    {
        ["Pneumonia:Api:Mode"] = "Client",
        ["Pneumonia:Api:Clustering"] = "Redis",
        ["Pneumonia:Api:Redis"] = redis,
        ["Pneumonia:Api:ServiceId"] = ServiceId,
        ["Pneumonia:Api:ClusterId"] = ServiceId,
        ["Pneumonia:Api:ApiKey"] = ApiKey,
        // Tests wait for a (re)joined predictor's first request: a short refresh keeps that wait short.
        ["Pneumonia:Api:GatewayListRefreshPeriod"] = "00:00:01",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One silo of a test cluster hosted in this process.</summary>
public sealed record ClusterSilo(string Name, IHost Host, ConcurrentDictionary<Type, int> Calls)
{
    /// <summary>How many grain calls this silo has executed on instances of <paramref name="grainClass"/>.</summary>
    public int CallsTo(Type grainClass) => Calls.GetValueOrDefault(grainClass);

    public SiloAddress Address => Host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    public IGrainFactory Grains => Host.Services.GetRequiredService<IGrainFactory>();

    public IProductionModelStatus Model => Host.Services.GetRequiredService<IProductionModelStatus>();

    public async Task StopAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }
}
