using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using Pneumonia.Grains.Hosting;
using Pneumonia.Grains.Prediction;
using Pneumonia.Ml.Data;
using Pneumonia.Silo.Reminders;
using Pneumonia.Silo.Storage;

namespace Pneumonia.Grains.Tests;

/// <summary>
/// Starts an in-process cluster with the production wiring (<c>AddPneumoniaGrains</c>, file grain storage and
/// reminders) on a data directory, with short progress and model-refresh intervals so tests poll, not sleep long.
/// </summary>
internal static class PneumoniaTestCluster
{
    /// <summary>The cluster's <c>Pneumonia:Dataset:MaxPageSize</c>.</summary>
    public const int PageSize = 7;

    /// <param name="gatePasses">True: the promotion gate is sized for the tests' few images (<see cref="TestGateSettings.Lenient"/>); false: it refuses every unforced promotion.</param>
    public static async Task<InProcessTestCluster> StartAsync(string dataDirectory, string bundledModelDirectory, bool gatePasses)
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSiloHost((_, host) => host.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pneumonia:Data:DataDirectory"] = dataDirectory,
            ["Pneumonia:Data:BundledModelDirectory"] = bundledModelDirectory,
            // Tests add their own images; the default would import the shared Kermany set in the background.
            ["Pneumonia:Data:BaseDatasetPath"] = "",
            ["Pneumonia:Retrain:ProgressInterval"] = "00:00:00.100",
            // Cached frozen features make these tiny retrains finish in milliseconds, too fast to watch or cancel;
            // the cached path is tested in Pneumonia.Ml.Tests (EndToEndTrainingTests) and by the retrain benchmark.
            ["Pneumonia:Retrain:CacheFrozenFeatures"] = "false",
            ["Pneumonia:Prediction:ModelRefreshInterval"] = "00:00:00.100",
            // Small pages, so every listing the tests read (and every retrain's) spans many pages.
            ["Pneumonia:Dataset:MaxPageSize"] = PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }.With(gatePasses ? TestGateSettings.Lenient : TestGateSettings.Refusing)));
        builder.ConfigureSilo((_, silo) => silo
            .AddFileGrainStorage(GrainStorage.Name, storage => storage.DataDirectory = Path.Combine(dataDirectory, "state"))
            .UseFileReminderService(reminders => reminders.DataDirectory = Path.Combine(dataDirectory, "state"))
            .AddPneumoniaGrains());
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    public static IServiceProvider Services(this InProcessTestCluster cluster) => cluster.GetSiloServiceProvider(cluster.Silos[0].SiloAddress);

    public static ContentAddressedImageStore ImageStore(this InProcessTestCluster cluster) => cluster.Services().GetRequiredService<ContentAddressedImageStore>();

    public static IProductionModelStatus ModelStatus(this InProcessTestCluster cluster) => cluster.Services().GetRequiredService<IProductionModelStatus>();

    public static IDatasetGrain Dataset(this InProcessTestCluster cluster) => cluster.Client.GetGrain<IDatasetGrain>(WellKnownKeys.Default);

    public static IModelRegistryGrain Registry(this InProcessTestCluster cluster) => cluster.Client.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default);

    public static ITrainingCoordinatorGrain Coordinator(this InProcessTestCluster cluster) => cluster.Client.GetGrain<ITrainingCoordinatorGrain>(WellKnownKeys.Default);

    /// <summary>Waits until the silo serves the registry's production version (a promotion reaches it within a refresh).</summary>
    public static async Task WaitUntilServingProductionAsync(this InProcessTestCluster cluster)
    {
        var production = (await cluster.Registry().GetProductionAsync())!.Version;
        for (var attempt = 0; cluster.ModelStatus().Version != production; attempt++)
        {
            Assert.True(attempt < 200, $"the silo still serves {cluster.ModelStatus().Version}, production is {production}");
            await Task.Delay(50);
        }
    }

    /// <summary>Polls the job until it has finished (or <paramref name="until"/> holds). Returns every state seen.</summary>
    public static Task<IReadOnlyList<TrainingJobInfo>> WaitForJobAsync(this InProcessTestCluster cluster, string jobId, Func<TrainingJobInfo, bool>? until = null)
    {
        var job = cluster.Client.GetGrain<ITrainingJobGrain>(jobId);
        return Jobs.PollAsync(
            async () => await job.GetAsync() ?? throw new InvalidOperationException($"job {jobId} does not exist"),
            until ?? (info => info.IsFinished), $"job {jobId}");
    }
}
