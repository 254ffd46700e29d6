using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pneumonia.Reliability.Tests.Infrastructure;

/// <summary>
/// The real API in-process (co-hosted silo, real grains, <b>file</b> grain storage) on a temporary data directory
/// with a TinyModel as the bundled model; every log line is captured. Ready (health 200) after InitializeAsync.
/// </summary>
public class ReliabilityApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string ApiKey = "reliability-key-7f3a9c51e2";

    private static readonly Lazy<string> SharedBundledModel = new(() =>
    {
        // One tiny model per test run, copied by path: every factory reads it, none writes it.
        var directory = Path.Combine(Path.GetTempPath(), $"pneumonia-reliability-model-{Environment.ProcessId}");
        if (!File.Exists(Path.Combine(directory, "model.json")))
        {
            TinyModel.Create(directory);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(directory, recursive: true);

        return directory;
    });

    private readonly TempDirectory _temp = new();

    public static string BundledModelDirectory => SharedBundledModel.Value;

    public string DataDirectory => _temp.Combine("data");

    public string StateDirectory => _temp.Combine("state");

    public string ImagesDirectory => Path.Combine(DataDirectory, "images");

    public CapturedLogs Logs { get; } = new();

    /// <summary>Runs after the host stopped and before the temporary files are deleted (to unmount, say).</summary>
    public Action? BeforeCleanup { get; set; }

    /// <summary>Settings a subclass adds or overrides.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>();

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

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = TestApiSettings.Create(StateDirectory, DataDirectory, BundledModelDirectory, ApiKey);
        settings["Pneumonia:Silo:Persistence"] = "File";
        settings["Pneumonia:Prediction:ModelRefreshInterval"] = "00:00:00.050";
        settings["Pneumonia:Retrain:CacheFrozenFeatures"] = "false";
        settings["Logging:LogLevel:Default"] = "Information";
        settings["Logging:LogLevel:Orleans"] = "Warning";
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        BeforeCleanup?.Invoke();
        if (disposing && Directory.Exists(_temp.Path))
        {
            _temp.Dispose();
        }
    }

    public static int FreePort() => Testing.FreePorts.Next();
}
