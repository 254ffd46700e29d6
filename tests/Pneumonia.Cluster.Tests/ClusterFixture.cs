using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Pneumonia.Grains.Hosting;
using Pneumonia.Grains.Placement;
using Pneumonia.Grains.Prediction;
using Pneumonia.Silo.Hosting;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// A cluster as docs/DEPLOY.md lays it out, in one process: three silos built by the production hosting code
/// (<c>AddPneumoniaSilo</c> + <c>AddPneumoniaGrains</c>) on Redis clustering, storage and reminders — one trainer
/// without a gateway, two predictors — sharing one data directory, and two API front ends as Orleans clients that
/// find the gateways in Redis. A unique service id keeps its keys apart from any other run on the same Redis.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string ApiKey = "cluster-test-api-key-0123456789";

    public TempDirectory Root { get; } = new();
    private readonly string _serviceId = $"pneumonia-test-{Guid.NewGuid():N}"[..30];
    private RedisServer? _redis;

    public string DataDirectory => Root.Combine("data");

    public string BundledVersion { get; private set; } = "";

    public ClusterSilo Trainer { get; private set; } = null!;

    public ClusterSilo PredictorA { get; private set; } = null!;

    public ClusterSilo PredictorB { get; private set; } = null!;

    public IReadOnlyList<ClusterSilo> Silos => [Trainer, PredictorA, PredictorB];

    public FrontEnd FrontEndA { get; private set; } = null!;

    public FrontEnd FrontEndB { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        BundledVersion = TinyModel.Create(Root.Combine("bundled")).Version;
        // One at a time: the first registers the bundled model, the others find it registered.
        Trainer = await StartSiloAsync("trainer", SiloRoles.Trainer, gateway: false);
        PredictorA = await StartSiloAsync("predictor-a", SiloRoles.Predictor, gateway: true);
        PredictorB = await StartSiloAsync("predictor-b", SiloRoles.Predictor, gateway: true);
        FrontEndA = await StartFrontEndAsync();
        FrontEndB = await StartFrontEndAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var frontEnd in new[] { FrontEndA, FrontEndB }.OfType<FrontEnd>())
        {
            await frontEnd.DisposeAsync();
        }

        foreach (var silo in new[] { PredictorB, PredictorA, Trainer }.OfType<ClusterSilo>())
        {
            await silo.Host.StopAsync();
            silo.Host.Dispose();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        Root.Dispose();
    }

    private async Task<ClusterSilo> StartSiloAsync(string name, string roles, bool gateway)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pneumonia:Silo:Clustering"] = "Redis",
            ["Pneumonia:Silo:Persistence"] = "Redis",
            ["Pneumonia:Silo:Redis"] = _redis!.Configuration,
            ["Pneumonia:Silo:ServiceId"] = _serviceId,
            ["Pneumonia:Silo:ClusterId"] = _serviceId,
            ["Pneumonia:Silo:SiloPort"] = Port(FreePorts.Next()),
            ["Pneumonia:Silo:GatewayPort"] = gateway ? Port(FreePorts.Next()) : "0",
            ["Pneumonia:Silo:Roles"] = roles,
            ["Pneumonia:Silo:DashboardEnabled"] = "false",
            ["Pneumonia:Silo:DataDirectory"] = Root.Combine("state", name),
            ["Pneumonia:Data:DataDirectory"] = DataDirectory,
            ["Pneumonia:Data:BundledModelDirectory"] = Root.Combine("bundled"),
            ["Pneumonia:Data:BaseDatasetPath"] = "",
            ["Pneumonia:Retrain:ProgressInterval"] = "00:00:00.100",
            ["Logging:LogLevel:Default"] = "Warning",
        }.With(TestGateSettings.Lenient));
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

    private async Task<FrontEnd> StartFrontEndAsync()
    {
        var frontEnd = new FrontEnd(new Dictionary<string, string>
        {
            ["Pneumonia:Api:Mode"] = "Client",
            ["Pneumonia:Api:Clustering"] = "Redis",
            ["Pneumonia:Api:Redis"] = _redis!.Configuration,
            ["Pneumonia:Api:ServiceId"] = _serviceId,
            ["Pneumonia:Api:ClusterId"] = _serviceId,
            ["Pneumonia:Api:ApiKey"] = ApiKey,
            ["Pneumonia:Data:DataDirectory"] = DataDirectory,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        using var client = frontEnd.CreateClient();
        await Wait.UntilHealthyAsync(client, "a front end to become healthy");

        return frontEnd;
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One silo of the test cluster.</summary>
public sealed record ClusterSilo(string Name, IHost Host, ConcurrentDictionary<Type, int> Calls)
{
    /// <summary>How many grain calls this silo has executed on instances of <paramref name="grainClass"/>.</summary>
    public int CallsTo(Type grainClass) => Calls.GetValueOrDefault(grainClass);

    public SiloAddress Address => Host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    public IGrainFactory Grains => Host.Services.GetRequiredService<IGrainFactory>();

    public IProductionModelStatus Model => Host.Services.GetRequiredService<IProductionModelStatus>();
}

/// <summary>The real API in client mode (no silo in its process).</summary>
public sealed class FrontEnd(IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<Program>
{
    public HttpClient CreateAuthorizedClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-API-Key", ClusterFixture.ApiKey);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterDefinition : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
