using System.Diagnostics;
using System.Reflection;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// A silo as an operator runs it: the built <c>pneumonia-silo</c> host in its own process, configured by command-line
/// settings, its output in a log file. It can be killed outright (<see cref="Kill"/>, SIGKILL) or asked to stop
/// (<see cref="Terminate"/>, SIGTERM).
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;

    private SiloProcess(string name, Process process, StreamWriter log, string logFile, int siloPort)
    {
        Name = name;
        _process = process;
        _log = log;
        LogFile = logFile;
        SiloPort = siloPort;
    }

    public string Name { get; }

    public string LogFile { get; }

    public int SiloPort { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>The silo host built beside this test project (its ProjectReference builds it first).</summary>
    public static string HostAssembly { get; } = FindHostAssembly();

    public static SiloProcess Start(string name, IReadOnlyDictionary<string, string?> settings, string logFile, int siloPort)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(HostAssembly)!,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(HostAssembly);
        foreach (var (key, value) in settings)
        {
            start.ArgumentList.Add($"--{key}={value}");
        }

        var log = new StreamWriter(logFile) { AutoFlush = true };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Write(log, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new SiloProcess(name, process, log, logFile, siloPort);
    }

    /// <summary>Waits until the cluster's membership lists this silo as active; fails with its log if it exits first.</summary>
    public async Task WaitUntilActiveAsync(IManagementGrain management, int timeoutSeconds = 60)
    {
        await Wait.UntilAsync(async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"silo {Name} exited with {_process.ExitCode}:\n{Log()}");
            }

            var hosts = await management.GetHosts(onlyActive: true);
            return hosts.Keys.Any(address => address.Endpoint.Port == SiloPort);
        }, TimeSpan.FromSeconds(timeoutSeconds), $"silo {Name} to join the cluster", pollMilliseconds: 100);
    }

    /// <summary>SIGKILL: the process ends at once, without leaving the cluster.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, what a service manager or <c>kill</c> sends: the silo stops gracefully.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to end; false if it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>The process's output so far.</summary>
    public string Log()
    {
        using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        await _process.WaitForExitAsync(); // and for the end of its output
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    private static string FindHostAssembly()
    {
        var configuration = typeof(SiloProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var bin = Path.Combine(TestData.RepositoryRoot, "silo", "Pneumonia.Silo.Host", "bin", configuration);
        return Directory.Exists(bin) && Directory.GetFiles(bin, "pneumonia-silo.dll", SearchOption.AllDirectories)
                   .OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault() is { } found
            ? found
            : throw new FileNotFoundException($"No pneumonia-silo.dll under {bin}: build silo/Pneumonia.Silo.Host -c {configuration}.");
    }
}
