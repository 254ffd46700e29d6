using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Pneumonia.Api.Tests;

/// <summary>
/// The real API with a co-hosted silo and the real grains, on a temporary data directory with a TinyModel as the
/// bundled model, on free silo and gateway ports. One per test class; ready (health 200) after InitializeAsync.
/// </summary>
public class ApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string ApiKey = "test-api-key-0123456789";

    private readonly TempDirectory _temp = new();

    public string BundledModelDirectory => _temp.Combine("bundled");

    public ApiFactory()
    {
        BundledModelVersion = TinyModel.Create(_temp.Combine("bundled")).Version;
        Directory.CreateDirectory(ImportDirectory);
    }

    public string BundledModelVersion { get; }

    public string DataDirectory => _temp.Combine("data");

    public string ImportDirectory => _temp.Combine("imports");

    public string TempPath => _temp.Path;

    /// <summary>Settings a test class adds or overrides (Pneumonia:Api:* limits and so on).</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>();

    /// <summary>A client that sends the API key.</summary>
    public HttpClient CreateAuthorizedClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-API-Key", ApiKey);
        return client;
    }

    public virtual async Task InitializeAsync()
    {
        using var client = CreateClient();
        await Wait.UntilHealthyAsync(client);
    }

    Task IAsyncLifetime.DisposeAsync() => OnDisposeAsync();

    /// <summary>Called when the test class is done with the factory, before it is disposed.</summary>
    protected virtual Task OnDisposeAsync() => Task.CompletedTask;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = TestApiSettings.Create(_temp.Combine("state"), DataDirectory, BundledModelDirectory, ApiKey);
        // Cached frozen features make these tiny retrains finish in milliseconds, too fast to watch or cancel;
        // the cached path is tested in Pneumonia.Ml.Tests (EndToEndTrainingTests) and by the retrain benchmark.
        settings["Pneumonia:Retrain:CacheFrozenFeatures"] = "false";
        settings["Pneumonia:Api:ImportDirectory"] = ImportDirectory;
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(_temp.Path))
        {
            _temp.Dispose();
        }
    }

    protected static int FreePort() => Pneumonia.Testing.FreePorts.Next();
}

/// <summary>Small limits, so that over-size inputs are cheap to make.</summary>
public sealed class SmallLimitsApiFactory : ApiFactory
{
    public const int MaxImageBytes = 50_000;
    public const int MaxZipEntries = 10;
    public const int MaxPageSize = 3;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Pneumonia:Images:MaxFileBytes"] = MaxImageBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Pneumonia:Api:MaxZipEntries"] = MaxZipEntries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Pneumonia:Api:MaxRequestBytes"] = "2000000",
        ["Pneumonia:Dataset:MaxPageSize"] = MaxPageSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

internal static class HttpExtensions
{
    public static async Task<System.Text.Json.JsonElement> JsonAsync(this HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
}
