using System.Text.RegularExpressions;

namespace Pneumonia.Cli;

/// <summary>
/// Keeps docs/BENCHMARKS.md up to date: each benchmark owns one section between marker comments and rewrites only
/// that section, with the machine and the command that produced it.
/// </summary>
internal static partial class BenchmarkReport
{
    public static void WriteSection(string markdownPath, string section, string title, string command, string body)
    {
        var machine = $"{Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, {Cpu()}";
        var text =
            $"<!-- begin:{section} -->\n## {title}\n\n" +
            $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {machine}.\n\n" +
            $"Command: `{command}`\n\n{body.TrimEnd()}\n<!-- end:{section} -->";
        var existing = File.Exists(markdownPath) ? File.ReadAllText(markdownPath) : "# Benchmarks\n\nEvery figure here was written by the command shown with it.\n";
        var pattern = new Regex($"<!-- begin:{Regex.Escape(section)} -->.*?<!-- end:{Regex.Escape(section)} -->", RegexOptions.Singleline);
        var updated = pattern.IsMatch(existing) ? pattern.Replace(existing, text.Replace("$", "$$", StringComparison.Ordinal)) : existing.TrimEnd() + "\n\n" + text + "\n";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(markdownPath))!);
        File.WriteAllText(markdownPath, updated);
        Console.WriteLine(text);
    }

    private static string Cpu()
    {
        const string CpuInfo = "/proc/cpuinfo";
        if (!File.Exists(CpuInfo)) return "unknown CPU";
        var match = ModelName().Match(File.ReadAllText(CpuInfo));
        return match.Success ? match.Groups[1].Value.Trim() : "unknown CPU";
    }

    [GeneratedRegex(@"^model name\s*:\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex ModelName();
}
