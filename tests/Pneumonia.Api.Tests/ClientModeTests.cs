using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Pneumonia.Grains.Hosting;
using Pneumonia.Silo.Hosting;

namespace Pneumonia.Api.Tests;

/// <summary>
/// The API as an Orleans client of a separate silo (what silo/Pneumonia.Silo.Host runs): no grains in the API's
/// process, the same data directory for the image store.
/// </summary>
public sealed class ClientModeApiFactory : ApiFactory
{
    public const int SiloMaxEpochs = 7;

    private readonly int _gatewayPort = FreePort();
    private IHost? _silo;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Pneumonia:Api:Mode"] = "Client",
        ["Pneumonia:Api:ClientGatewayPort"] = _gatewayPort.ToString(CultureInfo.InvariantCulture),
    };

    public override async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pneumonia:Silo:SiloPort"] = FreePort().ToString(CultureInfo.InvariantCulture),
            ["Pneumonia:Silo:GatewayPort"] = _gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Pneumonia:Silo:Persistence"] = "Memory",
            ["Pneumonia:Silo:DashboardEnabled"] = "false",
            ["Pneumonia:Silo:DataDirectory"] = Path.Combine(TempPath, "silo-state"),
            ["Pneumonia:Data:DataDirectory"] = DataDirectory,
            ["Pneumonia:Data:BundledModelDirectory"] = BundledModelDirectory,
            // appsettings.json's default finds the shared Kermany data from here; this test uploads its own.
            ["Pneumonia:Data:BaseDatasetPath"] = "",
            ["Pneumonia:Prediction:ModelRefreshInterval"] = "00:00:00.100",
            // Stricter than the API's own (default) settings: the silo's limits are the ones that hold.
            ["Pneumonia:Retrain:MaxEpochs"] = SiloMaxEpochs.ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        });
        builder.AddPneumoniaSilo(silo => silo.AddPneumoniaGrains());
        _silo = builder.Build();
        await _silo.StartAsync();
        await base.InitializeAsync();
    }

    protected override async Task OnDisposeAsync()
    {
        await DisposeAsync(); // the API (the client) first, then the cluster it talks to
        if (_silo is not null)
        {
            await _silo.StopAsync();
            _silo.Dispose();
        }
    }
}

public sealed class ClientModeTests(ClientModeApiFactory factory) : IClassFixture<ClientModeApiFactory>
{
    [Fact]
    public async Task Retrain_limits_are_the_silos_and_their_refusal_is_a_400_naming_the_field()
    {
        using var client = factory.CreateAuthorizedClient();
        using var response = await client.PostAsync($"/retrain?epochs={ClientModeApiFactory.SiloMaxEpochs + 1}", null);
        var problem = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var expected = $"epochs must be between 1 and {ClientModeApiFactory.SiloMaxEpochs}; got {ClientModeApiFactory.SiloMaxEpochs + 1}.";
        Assert.Equal(expected, Assert.Single(problem.GetProperty("errors").GetProperty("epochs").EnumerateArray()).GetString());
        Assert.Equal(expected, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Api_as_a_client_of_a_separate_silo_predicts_and_uploads()
    {
        using var client = factory.CreateAuthorizedClient();

        var health = await (await client.GetAsync("/health")).JsonAsync();
        Assert.Equal("client", health.GetProperty("mode").GetString());
        Assert.Equal(factory.BundledModelVersion, health.GetProperty("production_version").GetString());

        using var predict = TestFiles.Form("file", TestFiles.Images("test", "PNEUMONIA", 1));
        var prediction = await client.PostAsync("/predict", predict);
        Assert.Equal(HttpStatusCode.OK, prediction.StatusCode);
        Assert.Equal(factory.BundledModelVersion, (await prediction.JsonAsync()).GetProperty("model_version").GetString());

        // The upload's bytes go to the shared image store, the catalogue rows to the silo's grains.
        using var upload = TestFiles.Form("files", TestFiles.Images("train", "NORMAL", 2), ("label", "NORMAL"));
        var uploaded = await (await client.PostAsync("/upload", upload)).JsonAsync();
        Assert.Equal(2, uploaded.GetProperty("accepted").GetInt32());
        var stats = await (await client.GetAsync("/dataset/stats")).JsonAsync();
        Assert.Equal(2, stats.GetProperty("total_images").GetInt32());
        Assert.Equal(2, Directory.GetFiles(Path.Combine(factory.DataDirectory, "images"), "*", SearchOption.AllDirectories).Length);
    }
}
