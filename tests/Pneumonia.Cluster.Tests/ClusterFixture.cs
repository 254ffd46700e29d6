using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Pneumonia.Grains.Placement;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// A cluster as docs/DEPLOY.md lays it out, in one process: three silos built by the production hosting code
/// (<c>AddPneumoniaSilo</c> + <c>AddPneumoniaGrains</c>) on Redis clustering, storage and reminders — one trainer
/// without a gateway, two predictors — sharing one data directory, and two API front ends as Orleans clients that
/// find the gateways in Redis. A unique service id keeps its keys apart from any other run on the same Redis.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string ApiKey = ClusterParts.ApiKey;

    public TempDirectory Root { get; } = new();
    private RedisServer? _redis;

    public ClusterParts Parts { get; private set; } = null!;

    public string DataDirectory => Parts.DataDirectory;

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
        Parts = new ClusterParts(_redis.Configuration, Root, Root.Combine("bundled"));
        // One at a time: the first registers the bundled model, the others find it registered.
        Trainer = await Parts.StartSiloAsync("trainer", SiloRoles.Trainer, gateway: false);
        PredictorA = await Parts.StartSiloAsync("predictor-a", SiloRoles.Predictor, gateway: true);
        PredictorB = await Parts.StartSiloAsync("predictor-b", SiloRoles.Predictor, gateway: true);
        FrontEndA = await Parts.StartFrontEndAsync();
        FrontEndB = await Parts.StartFrontEndAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var frontEnd in new[] { FrontEndA, FrontEndB }.OfType<FrontEnd>())
        {
            await frontEnd.DisposeAsync();
        }

        foreach (var silo in new[] { PredictorB, PredictorA, Trainer }.OfType<ClusterSilo>())
        {
            await silo.StopAsync();
        }

        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        Root.Dispose();
    }
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
