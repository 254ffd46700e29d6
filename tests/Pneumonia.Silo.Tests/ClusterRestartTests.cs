using Orleans.TestingHost;
using Pneumonia.Abstractions;
using Pneumonia.Silo.Reminders;
using Pneumonia.Silo.Storage;

namespace Pneumonia.Silo.Tests;

/// <summary>State and reminders written by one cluster are there for a new cluster on the same data directory.</summary>
public sealed class ClusterRestartTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Grain_state_and_reminders_survive_a_restart()
    {
        await using (var first = await StartClusterAsync())
        {
            var counter = first.Client.GetGrain<ICounterGrain>("restart");
            await counter.Increment();
            Assert.Equal(2, await counter.Increment());
            await counter.RegisterReminder("nightly");
            await first.StopAllSilosAsync();
        }

        await using var second = await StartClusterAsync();
        var again = second.Client.GetGrain<ICounterGrain>("restart");
        Assert.Equal(2, await again.GetCount());
        Assert.True(await again.HasReminder("nightly"));
        Assert.False(await again.HasReminder("never-registered"));
        Assert.Equal(3, await again.Increment());
    }

    private async Task<InProcessTestCluster> StartClusterAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) => silo
            .AddFileGrainStorage(GrainStorage.Name, storage => storage.DataDirectory = _directory.Path)
            .UseFileReminderService(reminders => reminders.DataDirectory = _directory.Path));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}
