using System.Diagnostics;

namespace Pneumonia.Reliability.Tests.Infrastructure;

/// <summary>Runs the real <c>pneumonia</c> command line (its build output mirrors the API's configuration and runtime folders) and returns its exit code and output.</summary>
public static class Cli
{
    public static string Directory => ApiProcess.ApiDirectory.Replace(
        Path.Combine("api", "Pneumonia.Api"), Path.Combine("grains", "Pneumonia.Cli"), StringComparison.Ordinal);

    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(Directory, "pneumonia.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await output + await error);
    }
}
