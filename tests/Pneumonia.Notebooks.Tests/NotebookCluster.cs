using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Pneumonia.Notebooks.Tests;

/// <summary>
/// What the notebooks connect to: the real API on a real (free) port with its co-hosted silo, whose gateway also
/// listens on a free port; a TinyModel as production and a small base dataset in the Kaggle layout. The notebooks
/// and file-based apps run as separate processes and find it through Pneumonia__Notebooks__* variables.
/// </summary>
public sealed class NotebookCluster : WebApplicationFactory<Program>, IAsyncLifetime
{
    private const string ApiKey = "notebook-test-key-0123456789";
    private readonly TempDirectory _temp = new();
    private readonly int _gatewayPort = FreePorts.Next();
    private readonly int _apiPort = FreePorts.Next();

    public NotebookCluster()
    {
        TinyModel.Create(_temp.Combine("bundled"));
        TestData.CopyKaggleLayout(_temp.Combine("base"), ("train", 4), ("val", 4), ("test", 4));
    }

    public string OutputDirectory => _temp.Combine("output");

    public async Task InitializeAsync()
    {
        UseKestrel(_apiPort);
        StartServer();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_apiPort}/") };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            // Ready once the base dataset is imported (in the background at start-up).
            var stats = await client.GetStringAsync("dataset/stats");
            if (!stats.Contains("\"total_images\":0,", StringComparison.Ordinal))
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The base dataset was not imported: {stats}");
            }

            await Task.Delay(200);
        }
    }

    Task IAsyncLifetime.DisposeAsync() => Task.CompletedTask;

    /// <summary>Runs a command from the repository root with the notebooks' settings; returns exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(string fileName, string arguments, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            WorkingDirectory = workingDirectory ?? TestData.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["Pneumonia__Notebooks__GatewayPort"] = _gatewayPort.ToString(CultureInfo.InvariantCulture);
        start.Environment["Pneumonia__Notebooks__ApiUrl"] = $"http://127.0.0.1:{_apiPort}/";
        start.Environment["Pneumonia__Notebooks__ApiKey"] = ApiKey;
        start.Environment["Pneumonia__Notebooks__SampleImagesDirectory"] = Path.Combine(TestData.ChestXrayRoot, "test");
        start.Environment["Pneumonia__Notebooks__UploadImagesDirectory"] = Path.Combine(TestData.ChestXrayRoot, "train");
        start.Environment["Pneumonia__Notebooks__OutputDirectory"] = OutputDirectory;
        start.Environment["Pneumonia__Notebooks__EmbedPlotly"] = "false";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = TestApiSettings.Create(_temp.Combine("state"), _temp.Combine("data"), _temp.Combine("bundled"), ApiKey, _gatewayPort);
        settings["Pneumonia:Silo:DashboardEnabled"] = "false";
        settings["Pneumonia:Data:BaseDatasetPath"] = _temp.Combine("base");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    // The factory is disposed twice (IDisposable and IAsyncDisposable); the folder goes on the first.
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(_temp.Path))
        {
            _temp.Dispose();
        }
    }
}
