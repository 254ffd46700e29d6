
namespace Pneumonia.Grains.Tests;

[Collection(GrainsClusterDefinition.Name)]
public sealed class ModelRegistryTests(GrainsClusterFixture fixture)
{
    [Fact]
    public async Task Start_up_registers_the_bundled_model_as_the_first_production_version()
    {
        var registry = fixture.Cluster.Registry();

        var versions = await registry.ListAsync();
        var history = await registry.GetHistoryAsync();

        var bundled = Assert.Single(versions, v => v.Version == fixture.Bundled.Version);
        Assert.Equal(fixture.Bundled.Validation.RocAuc, bundled.Validation.RocAuc);
        Assert.Equal(fixture.Bundled.Threshold, bundled.Threshold);
        Assert.Equal(fixture.Bundled.Version, bundled.Card.Version);
        Assert.True(File.Exists(fixture.Root.Combine("data", "models", bundled.Directory, "model.json")));
        var first = history[^1];
        Assert.Equal((fixture.Bundled.Version, true, null), (first.Version, first.Promoted, first.PreviousVersion));
        Assert.True(fixture.Cluster.ModelStatus().IsReady);
    }

    [Fact]
    public async Task Promoting_an_unknown_version_is_refused_and_a_version_cannot_change()
    {
        var registry = fixture.Cluster.Registry();
        await Assert.ThrowsAsync<ArgumentException>(() => registry.PromoteAsync("no-such-version", force: true, "test", gate: null));

        var bundled = (await registry.ListAsync()).Single(v => v.Version == fixture.Bundled.Version);
        await registry.RegisterAsync(bundled); // the same content again: a no-op
        await Assert.ThrowsAsync<InvalidOperationException>(() => registry.RegisterAsync(bundled with { Threshold = 0.01 }));
    }
}
