using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Pneumonia.Grains.Hosting;
using Pneumonia.Silo.Hosting;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// A Redis that keeps the cluster's state in memory only loses the registry, the jobs and the upload records when it
/// restarts: a silo refuses it unless told that is intended, and accepts one with an append-only file.
/// </summary>
public sealed class RedisPersistenceTests
{
    [Fact]
    public async Task A_silo_refuses_a_Redis_without_persistence_naming_the_fix()
    {
        await using var redis = await RedisServer.StartPrivateAsync("--save", "", "--appendonly", "no");
        Assert.False((await RedisPersistence.ReadAsync(redis.Configuration, CancellationToken.None))!.Persistent);

        using var host = BuildSilo(redis.Configuration, allowVolatile: false);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("appendonly yes", error.Message, StringComparison.Ordinal);
        Assert.Contains("Pneumonia:Silo:AllowRedisWithoutPersistence", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Redis_with_an_append_only_file_or_snapshots_counts_as_persistent()
    {
        using var directory = new TempDirectory();
        await using var aof = await RedisServer.StartPrivateAsync("--save", "", "--appendonly", "yes", "--dir", directory.Path);
        await using var rdb = await RedisServer.StartPrivateAsync("--save", "900 1", "--appendonly", "no", "--dir", directory.Path);

        Assert.Equal(new RedisPersistence(true, ""), await RedisPersistence.ReadAsync(aof.Configuration, CancellationToken.None));
        Assert.True((await RedisPersistence.ReadAsync(rdb.Configuration, CancellationToken.None))!.Persistent);
    }

    private static IHost BuildSilo(string redis, bool allowVolatile)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pneumonia:Silo:Clustering"] = "Redis",
            ["Pneumonia:Silo:Persistence"] = "Redis",
            ["Pneumonia:Silo:Redis"] = redis,
            ["Pneumonia:Silo:AllowRedisWithoutPersistence"] = allowVolatile ? "true" : "false",
            ["Pneumonia:Silo:SiloPort"] = FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Pneumonia:Silo:GatewayPort"] = FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Pneumonia:Silo:DashboardEnabled"] = "false",
            ["Pneumonia:Data:BaseDatasetPath"] = "",
        });
        builder.AddPneumoniaSilo(silo => silo.AddPneumoniaGrains());
        return builder.Build();
    }
}
