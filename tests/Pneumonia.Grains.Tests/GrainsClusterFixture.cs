using Orleans.TestingHost;

namespace Pneumonia.Grains.Tests;

/// <summary>
/// One cluster for the tests of the "grains" collection: a tiny real model as the bundled model, a second one to
/// switch to, and a promotion gate that lets every retrained model through (the refusal is tested on its own cluster).
/// Tests share the singleton grains (dataset, registry, coordinator), so each uploads its own images and asserts on
/// what it changed, never on totals.
/// </summary>
public sealed class GrainsClusterFixture : IAsyncLifetime
{
    public TempDirectory Root { get; } = new();

    public ModelCard Bundled { get; private set; } = null!;

    public ModelCard Alternate { get; private set; } = null!;

    public string AlternateDirectory => Root.Combine("alternate");

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Fitted on perturbed validation views, as the shipped model is: its retrains must do the same.
        Bundled = TinyModel.Create(Root.Combine("bundled"), perturbedValidation: true);
        Alternate = TinyModel.Create(AlternateDirectory, seed: 2, epochs: 1);
        Cluster = await PneumoniaTestCluster.StartAsync(Root.Combine("data"), Root.Combine("bundled"), gatePasses: true);
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        Root.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class GrainsClusterDefinition : ICollectionFixture<GrainsClusterFixture>
{
    public const string Name = "grains";
}
