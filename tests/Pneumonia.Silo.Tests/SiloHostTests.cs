using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Pneumonia.SiloHost;
using Pneumonia.Testing;

namespace Pneumonia.Silo.Tests;

/// <summary>
/// The standalone silo (silo/Pneumonia.Silo.Host) serves what docs/DEPLOY.md promises an operator: the health
/// probes and the Prometheus metrics, beside the dashboard.
/// </summary>
public sealed class SiloHostTests : IClassFixture<SiloHostTests.SiloHostFactory>
{
    private readonly SiloHostFactory _factory;

    public SiloHostTests(SiloHostFactory factory) => _factory = factory;

    [Fact]
    public async Task The_silo_host_is_live_becomes_ready_with_the_model_and_serves_prometheus_metrics()
    {
        using var client = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);

        // Ready once the silo has loaded the production model (the bundled one, registered at start-up).
        await Wait.UntilAsync(async () => (await client.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(60), "the silo host to become ready");
        using var ready = JsonDocument.Parse(await client.GetStringAsync("/health/ready"));
        var model = ready.RootElement.GetProperty("checks").GetProperty("model");
        Assert.Contains(_factory.BundledModelVersion, model.GetProperty("description").GetString(), StringComparison.Ordinal);

        var metrics = await client.GetStringAsync("/metrics/prometheus");
        Assert.Contains("service_name=\"pneumonia-silo\"", metrics, StringComparison.Ordinal);
        Assert.Contains("orleans_consistent_ring_size{", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_collections_total{", metrics, StringComparison.Ordinal);
    }

    public sealed class SiloHostFactory : WebApplicationFactory<SiloHostAssembly>
    {
        private readonly Testing.TempDirectory _temp = new();

        public SiloHostFactory() => BundledModelVersion = TinyModel.Create(_temp.Combine("bundled")).Version;

        public string BundledModelVersion { get; }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            // The API hosts' test settings: the silo ignores the API's; its dashboard stays off.
            var settings = TestApiSettings.Create(_temp.Combine("state"), _temp.Combine("data"), _temp.Combine("bundled"), apiKey: "unused");
            settings["Pneumonia:Silo:DashboardEnabled"] = "false";
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            // WebApplicationFactory disposes both synchronously and asynchronously.
            if (disposing && Directory.Exists(_temp.Path))
            {
                _temp.Dispose();
            }
        }
    }
}
