namespace Pneumonia.Cluster.Tests;

/// <summary>
/// A Redis server and a bundled model for tests that start their own silos and front ends
/// (<see cref="StartOrderTests"/>, <see cref="ObjectStoreClusterTests"/>): kept out of <see cref="FailoverDefinition"/>,
/// whose long-lived front end's metrics another host's disposal would take away.
/// </summary>
public sealed class OwnSilosFixture : IAsyncLifetime
{
    public TempDirectory Root { get; } = new();
    private RedisServer? _redis;

    public string Redis => _redis!.Configuration;

    public string BundledDirectory => Root.Combine("bundled");

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        TinyModel.Create(BundledDirectory);
    }

    public async Task DisposeAsync()
    {
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
        }

        Root.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class OwnSilosDefinition : ICollectionFixture<OwnSilosFixture>
{
    public const string Name = "own-silos";
}
