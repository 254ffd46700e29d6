#:property PublishAot=false
// Writes docs/RELIABILITY.md from the cases the reliability suite recorded (one JSON file per passed case).
// Run by ./reliability.sh:  dotnet run tests/reliability-report.cs -- <results folder> <markdown file>
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

if (args.Length != 2 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: dotnet run tests/reliability-report.cs -- <results folder> <markdown file>");
    return 2;
}

string[] areas = ["Hostile uploads", "Crashes", "Concurrency", "Properties and fuzzing", "Access", "Limits and refusals", "Integrity"];
var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
var cases = Directory.GetFiles(args[0], "*.json")
    .Select(path => JsonSerializer.Deserialize<RecordedCase>(File.ReadAllText(path), options)!)
    .OrderBy(c => Array.IndexOf(areas, c.Area)).ThenBy(c => c.Case, StringComparer.Ordinal)
    .ToList();
if (cases.Count == 0)
{
    Console.Error.WriteLine($"No recorded cases in {args[0]}: did the suite run?");
    return 1;
}

var md = new StringBuilder();
md.AppendLine("# Reliability and security");
md.AppendLine();
md.AppendLine("What was tried against the system — hostile uploads, kill -9 at bad moments, a full disk, concurrent clients,");
md.AppendLine("generated and fuzzed input, requests without the API key — how many inputs, what happened, and what was lost.");
md.AppendLine("Every row is a test of `tests/Pneumonia.Reliability.Tests` that passed; a failing test records nothing and fails the run.");
md.AppendLine();
md.AppendLine("Regenerate this file (about 3 minutes; runs the suite, then writes this page):");
md.AppendLine();
md.AppendLine("```bash");
md.AppendLine("./reliability.sh");
md.AppendLine("```");
md.AppendLine();
md.AppendLine(CultureInfo.InvariantCulture, $"Generated {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, .NET {Environment.Version}: " +
    $"{cases.Count} cases, {cases.Sum(c => c.Inputs):N0} inputs tried, lost: {(cases.All(c => c.Lost.StartsWith("nothing", StringComparison.Ordinal)) ? "nothing" : "SEE BELOW")}.");
md.AppendLine();
foreach (var area in areas.Concat(cases.Select(c => c.Area)).Distinct())
{
    var rows = cases.Where(c => c.Area == area).ToList();
    md.AppendLine(CultureInfo.InvariantCulture, $"## {area}");
    md.AppendLine();
    if (rows.Count == 0)
    {
        md.AppendLine("Not run (a test was skipped, or the run was filtered).");
        md.AppendLine();
        continue;
    }

    md.AppendLine("| case | inputs tried | what happened | lost |");
    md.AppendLine("| --- | ---: | --- | --- |");
    foreach (var row in rows)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"| {Cell(row.Case)} | {row.Inputs:N0} | {Cell(row.Outcome)} | {Cell(row.Lost)} |");
    }

    md.AppendLine();
}

// The hand-written part (what was found and fixed, what is not covered) lives beside this script.
md.Append(File.ReadAllText(Path.Combine("tests", "reliability-notes.md")));
File.WriteAllText(args[1], md.ToString());
Console.WriteLine($"{args[1]}: {cases.Count} cases");
return 0;

static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

internal sealed record RecordedCase(string Area, string Case, long Inputs, string Outcome, string Lost);
