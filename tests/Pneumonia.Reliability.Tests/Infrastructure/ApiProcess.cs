using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;


namespace Pneumonia.Reliability.Tests.Infrastructure;

/// <summary>
/// The real API (co-hosted silo, file grain storage) as a separate process on free ports, on a data directory that
/// outlives it, so that a test can kill it with SIGKILL and start it again on the same files. Its output goes to a
/// log the tests can read.
/// </summary>
public sealed class ApiProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ApiProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        Client.DefaultRequestHeaders.Add("X-API-Key", ReliabilityApiFactory.ApiKey);
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>A client that sends the API key.</summary>
    public HttpClient Client { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The API's build output beside this test assembly's (same configuration and runtime).</summary>
    public static string ApiDirectory
    {
        get
        {
            var testProject = Path.Combine(TestData.RepositoryRoot, "tests", "Pneumonia.Reliability.Tests");
            var relative = Path.GetRelativePath(testProject, AppContext.BaseDirectory);
            return Path.Combine(TestData.RepositoryRoot, "api", "Pneumonia.Api", relative);
        }
    }

    /// <summary>Starts the API on <paramref name="dataRoot"/> (grain state and images) and waits until /health is 200.</summary>
    public static async Task<ApiProcess> StartAsync(
        string dataRoot, IReadOnlyDictionary<string, string>? settings = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var port = ReliabilityApiFactory.FreePort();
        var all = new Dictionary<string, string>
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["Pneumonia:Silo:SiloPort"] = ReliabilityApiFactory.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Pneumonia:Silo:GatewayPort"] = ReliabilityApiFactory.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Pneumonia:Silo:Persistence"] = "File",
            ["Pneumonia:Silo:DataDirectory"] = Path.Combine(dataRoot, "state"),
            ["Pneumonia:Data:DataDirectory"] = Path.Combine(dataRoot, "data"),
            ["Pneumonia:Data:BundledModelDirectory"] = ReliabilityApiFactory.BundledModelDirectory,
            ["Pneumonia:Data:BaseDatasetPath"] = "",
            ["Pneumonia:Prediction:ModelRefreshInterval"] = "00:00:00.050",
            ["Pneumonia:Retrain:ProgressInterval"] = "00:00:00.050",
            ["Pneumonia:Retrain:CacheFrozenFeatures"] = "false",
            ["Pneumonia:Api:ApiKey"] = ReliabilityApiFactory.ApiKey,
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Orleans"] = "Warning",
        };
        foreach (var (key, value) in TestGateSettings.Lenient)
        {
            all[key] = value!;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        var dll = Path.Combine(ApiDirectory, "Pneumonia.Api.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"The API is not built at {dll}.");
        }

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = ApiDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var (key, value) in all)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        start.Environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var api = new ApiProcess(Process.Start(start)!, port);
        try
        {
            await Wait.UntilAsync(
                async () => api._process.HasExited
                    ? throw new InvalidOperationException($"The API exited with {api._process.ExitCode}: {api.Output}")
                    : (await api.Client.GetAsync("/health")).StatusCode == HttpStatusCode.OK,
                TimeSpan.FromSeconds(90), "the API process to become healthy", 100);
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }

        return api;
    }

    /// <summary>SIGKILL for the whole process tree: no shutdown code runs, exactly like a power cut of the process.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        Client.Dispose();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
