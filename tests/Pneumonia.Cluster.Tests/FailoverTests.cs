using System.Diagnostics;
using System.Net.Http.Headers;
using Pneumonia.Grains.Placement;
using Pneumonia.Grains.Prediction;
using Xunit.Abstractions;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// A trainer and predictor A in this process, a front end in client mode, and a second predictor as a separate
/// <c>pneumonia-silo</c> process that each test starts, so it can be killed (SIGKILL) or stopped (SIGTERM) for real.
/// </summary>
public sealed class FailoverFixture : IAsyncLifetime
{
    public TempDirectory Root { get; } = new();
    private RedisServer? _redis;

    public string Redis => _redis!.Configuration;

    public string BundledDirectory => Root.Combine("bundled");

    public ClusterParts Parts { get; private set; } = null!;

    public ClusterSilo Trainer { get; private set; } = null!;

    public ClusterSilo PredictorA { get; private set; } = null!;

    public FrontEnd FrontEnd { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _redis = await RedisServer.StartAsync();
        TinyModel.Create(BundledDirectory);
        Parts = new ClusterParts(_redis.Configuration, Root, BundledDirectory);
        Trainer = await Parts.StartSiloAsync("trainer", SiloRoles.Trainer, gateway: false);
        PredictorA = await Parts.StartSiloAsync("predictor-a", SiloRoles.Predictor, gateway: true);
        FrontEnd = await Parts.StartFrontEndAsync();
    }

    public async Task DisposeAsync()
    {
        if (FrontEnd is not null)
        {
            await FrontEnd.DisposeAsync();
        }

        foreach (var silo in new[] { PredictorA, Trainer }.OfType<ClusterSilo>())
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

/// <summary>
/// Only the failover tests: their front end's <c>/metrics/prometheus</c> is asserted on, and in one process
/// OpenTelemetry (1.20) merges the same-named meters of every host, so when another test's host is disposed while
/// this front end lives, its Pneumonia.Api and ASP.NET Core series vanish with it (seen with the start-order and
/// object-store tests' front ends, which are in <see cref="OwnSilosDefinition"/>). Collections run one at a time
/// here (xunit.runner.json). A deployed front end is one host per process.
/// </summary>
[CollectionDefinition(Name)]
public sealed class FailoverDefinition : ICollectionFixture<FailoverFixture>
{
    public const string Name = "failover";
}

/// <summary>
/// What an operator does to predictor silos under load: kill one outright and restart it, stop one with SIGTERM.
/// No request may fail, a restarted predictor gets its share again, and a stop is quick and clean.
/// </summary>
[Collection(FailoverDefinition.Name)]
public sealed class FailoverTests(FailoverFixture cluster, ITestOutputHelper output)
{
    private const int Workers = 6;

    private readonly byte[] _image = File.ReadAllBytes(TestData.Images("test", "PNEUMONIA", 1)[0]);

    [Fact]
    public async Task A_predictor_killed_under_load_fails_no_request_and_serves_again_once_restarted()
    {
        var (siloPort, gatewayPort) = (FreePorts.Next(), FreePorts.Next());
        await using var predictor = await StartPredictorProcessAsync("predictor-killed", siloPort, gatewayPort);
        using var client = cluster.FrontEnd.CreateClient();
        await WaitUntilServedElsewhereAsync(client, "the predictor process to get requests from the front end");

        await using (var load = new PredictionLoad(client, _image, Workers))
        {
            await load.WaitForMoreAsync(30);
            var killed = Stopwatch.StartNew();
            predictor.Kill();
            await Wait.UntilAsync(async () => !await IsActiveAsync(siloPort), TimeSpan.FromSeconds(60), "membership to declare the killed silo dead");
            output.WriteLine($"killed silo declared dead after {killed.Elapsed.TotalSeconds:F1} s");
            // The requests it held were retried by now; keep loading the survivor a little longer.
            await load.WaitForMoreAsync(30);
            await load.StopAsync();
            output.WriteLine($"{load.Completed} requests, {load.Failures.Count} failed");
            Assert.True(load.Failures.IsEmpty, string.Join("\n", load.Failures));
        }

        // The loss is visible to monitoring: two active silos left, the killed one's series gone.
        await Wait.UntilAsync(async () =>
        {
            var metrics = await client.GetStringAsync("/metrics/prometheus");
            // OpenTelemetry's exporter labels every series with its meter (otel_scope_name="Pneumonia.Api").
            return System.Text.RegularExpressions.Regex.IsMatch(metrics, @"^pneumonia_cluster_silos_active(\{[^}]*\})? 2(\.0)?\b", System.Text.RegularExpressions.RegexOptions.Multiline)
                && !metrics.Contains($":{siloPort}@", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(10), "/metrics/prometheus to show the killed silo gone");

        // The same silo started again (same ports, new generation): the running front end sends it requests again.
        await using var restarted = await StartPredictorProcessAsync("predictor-restarted", siloPort, gatewayPort);
        var rejoined = Stopwatch.StartNew();
        await WaitUntilServedElsewhereAsync(client, "the restarted predictor to get requests from the running front end");
        output.WriteLine($"restarted predictor served its first request {rejoined.Elapsed.TotalSeconds:F1} s after it joined");

        // The rejoin is visible to monitoring too: three active silos again, the restarted one's series back.
        var lastScrape = "";
        try
        {
            await Wait.UntilAsync(async () =>
            {
                using var scrape = await client.GetAsync("/metrics/prometheus");
                lastScrape = $"HTTP {(int)scrape.StatusCode}\n" + await scrape.Content.ReadAsStringAsync();
                return System.Text.RegularExpressions.Regex.IsMatch(lastScrape, @"^pneumonia_cluster_silos_active(\{[^}]*\})? 3(\.0)?\b", System.Text.RegularExpressions.RegexOptions.Multiline)
                    && lastScrape.Contains($":{siloPort}@", StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(30), "/metrics/prometheus to show the restarted silo");
        }
        finally
        {
            output.WriteLine(string.Join("\n", lastScrape.Split('\n').Where(l => l.StartsWith("pneumonia_cluster", StringComparison.Ordinal) || l.StartsWith("HTTP", StringComparison.Ordinal))));
            output.WriteLine($"{lastScrape.Length} characters in the last scrape; metric names: " + string.Join(" ", lastScrape.Split('\n').Where(l => l.StartsWith("# TYPE", StringComparison.Ordinal)).Select(l => l.Split(' ')[2])));
        }
    }

    [Fact]
    public async Task A_predictor_stopped_with_SIGTERM_under_load_leaves_within_its_shutdown_timeout_and_fails_no_request()
    {
        var siloPort = FreePorts.Next();
        await using var predictor = await StartPredictorProcessAsync("predictor-stopped", siloPort, FreePorts.Next());
        using var client = cluster.FrontEnd.CreateClient();
        await WaitUntilServedElsewhereAsync(client, "the predictor process to get requests from the front end");

        await using var load = new PredictionLoad(client, _image, Workers);
        await load.WaitForMoreAsync(30);
        var stopping = Stopwatch.StartNew();
        predictor.Terminate();
        // Pneumonia:Silo:ShutdownTimeout (10 s) bounds the stop; the margin covers the process's own exit.
        var exited = await predictor.WaitForExitAsync(TimeSpan.FromSeconds(25));
        var stopTime = stopping.Elapsed;
        Assert.True(exited, $"the silo still runs {stopTime.TotalSeconds:F0} s after SIGTERM:\n{predictor.Log()}");
        output.WriteLine($"SIGTERM to exit: {stopTime.TotalSeconds:F1} s, exit code {predictor.ExitCode}");
        Assert.Equal(0, predictor.ExitCode);
        Assert.True(stopTime < TimeSpan.FromSeconds(15), $"the stop took {stopTime.TotalSeconds:F1} s");
        Assert.False(await IsActiveAsync(siloPort), "a stopped silo leaves the membership as it goes");

        await load.WaitForMoreAsync(30);
        await load.StopAsync();
        output.WriteLine($"{load.Completed} requests, {load.Failures.Count} failed");
        Assert.True(load.Failures.IsEmpty, string.Join("\n", load.Failures));
    }

    private Task<SiloProcess> StartPredictorProcessAsync(string name, int siloPort, int gatewayPort) =>
        cluster.Parts.StartSiloProcessAsync(name, SiloRoles.Predictor, siloPort, gatewayPort, cluster.PredictorA);

    private async Task<bool> IsActiveAsync(int siloPort) =>
        (await cluster.PredictorA.Grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Keys.Any(a => a.Endpoint.Port == siloPort);

    // The process's grain calls cannot be counted here, but predictor A's can: a request A did not serve went to it.
    private async Task WaitUntilServedElsewhereAsync(HttpClient client, string what)
    {
        var (sent, servedByA) = (0, cluster.PredictorA.CallsTo(typeof(PredictionGrain)));
        await Wait.UntilAsync(async () =>
        {
            using var content = new ByteArrayContent(_image);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            using var response = await client.PostAsync("/predict", new MultipartFormDataContent { { content, "file", "x.jpeg" } });
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            sent++;
            return cluster.PredictorA.CallsTo(typeof(PredictionGrain)) - servedByA < sent;
        }, TimeSpan.FromSeconds(30), what, pollMilliseconds: 20);
    }
}
