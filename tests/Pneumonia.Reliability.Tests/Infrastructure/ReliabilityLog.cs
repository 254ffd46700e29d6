using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pneumonia.Reliability.Tests.Infrastructure;

/// <summary>One case of the reliability suite as docs/RELIABILITY.md reports it.</summary>
/// <param name="Area">The heading: hostile uploads, crashes, concurrency, properties and fuzzing, access, integrity.</param>
/// <param name="Case">What was tried.</param>
/// <param name="Inputs">How many inputs (files, requests, trials, generated cases) were tried.</param>
/// <param name="Outcome">What the system did.</param>
/// <param name="Lost">What was lost or changed that should not have been: "nothing" unless a test says otherwise.</param>
public sealed record ReliabilityCase(string Area, string Case, long Inputs, string Outcome, string Lost);

/// <summary>
/// Writes each passed case as one JSON file into the results folder (<c>PNEUMONIA_RELIABILITY_RESULTS</c>, else a
/// folder under the temp directory); <c>reliability.sh</c> turns the folder into docs/RELIABILITY.md. A case is
/// recorded only after its assertions passed, so the report never lists a case that failed.
/// </summary>
public static partial class ReliabilityLog
{
    public const string ResultsVariable = "PNEUMONIA_RELIABILITY_RESULTS";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string ResultsDirectory =>
        Environment.GetEnvironmentVariable(ResultsVariable) is { Length: > 0 } configured
            ? configured
            : Path.Combine(Path.GetTempPath(), "pneumonia-reliability-results");

    public static void Record(string area, string @case, long inputs, string outcome, string lost = "nothing")
    {
        Directory.CreateDirectory(ResultsDirectory);
        var name = $"{Slug(area)}--{Slug(@case)}.json";
        File.WriteAllText(Path.Combine(ResultsDirectory, name), JsonSerializer.Serialize(new ReliabilityCase(area, @case, inputs, outcome, lost), Json));
    }

    private static string Slug(string text)
    {
        var slug = NonWord().Replace(text.ToLowerInvariant(), "-").Trim('-');
        return slug.Length <= 80 ? slug : slug[..80];
    }

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonWord();
}

/// <summary>The areas of the issue, as headings of the report.</summary>
public static class Areas
{
    public const string HostileUploads = "Hostile uploads";
    public const string Crashes = "Crashes";
    public const string Concurrency = "Concurrency";
    public const string Properties = "Properties and fuzzing";
    public const string Access = "Access";
    public const string Integrity = "Integrity";
    public const string Refusals = "Limits and refusals";
}
