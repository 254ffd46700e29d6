using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Pneumonia.Ml.Data;

namespace Pneumonia.Cli;

internal static class CheckStoreCommand
{
    private const int Healthy = 0;
    private const int ProblemsFound = 1;
    private const int CannotCheck = 2;

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static Command Create()
    {
        var data = CommonOptions.Data(required: false);
        var repair = new Option<bool>("--repair") { Description = "Move corrupt and uncatalogued files into <data>/quarantine and delete leftover temp files. Never deletes images; run it while nothing writes to the store." };
        var json = new Option<bool>("--json") { Description = "Print the report (and the repair) as one JSON object." };
        var command = new Command(
            "check-store",
            "Check the image store against the catalogue: missing files, uncatalogued files, checksum mismatches, leftover temp files. "
            + "Exit code 0: healthy, or everything repairable was repaired and nothing is missing; 1: problems remain; 2: no data directory, an unreadable catalogue, "
            + "or a server's data directory (catalogued by the server's grain state, which this command does not read: it refuses to touch it).")
        {
            data, repair, json,
        };
        command.SetAction((parse, cancel) => RunAsync(parse.GetValue(data)!, parse.GetValue(repair), parse.GetValue(json), cancel));
        return command;
    }

    private static async Task<int> RunAsync(DirectoryInfo dataRoot, bool repair, bool json, CancellationToken cancellationToken)
    {
        // DataDirectory creates what is missing; a mistyped path must not be checked as an empty, healthy store.
        if (!dataRoot.Exists)
        {
            await Console.Error.WriteLineAsync($"No data directory at {dataRoot.FullName}.");
            return CannotCheck;
        }

        // A server's directory is catalogued by its grain state, which this tool cannot read: judged by catalogue.jsonl,
        // every uploaded image would be an orphan, and --repair would quarantine a live data set.
        if (ServerDataDirectory.NotCatalogueOwned(dataRoot.FullName) is { } why)
        {
            await Console.Error.WriteLineAsync(
                $"check-store will not check or repair {dataRoot.FullName}: {why}. Its images are catalogued by the server's dataset grain state, "
                + "not by catalogue.jsonl, so they would all look uncatalogued. Nothing was changed. Check a directory made by 'pneumonia import', "
                + "or look at the server's data set through its API (GET /dataset/stats).");
            return CannotCheck;
        }

        var data = new DataDirectory(dataRoot.FullName);
        ImageCatalogue catalogue;
        try
        {
            catalogue = data.LoadCatalogue();
        }
        catch (InvalidDataException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return CannotCheck;
        }

        var report = await StoreIntegrityChecker.CheckAsync(
            catalogue.Entries.Select(entry => entry.Sha256).ToHashSet(StringComparer.Ordinal), data.Store, cancellationToken);
        var repaired = repair && !report.IsHealthy
            ? await StoreIntegrityChecker.RepairAsync(report, data.Store, new RepairOptions(), cancellationToken)
            : null;

        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new { dataDirectory = data.Root, healthy = report.IsHealthy, report, repair = repaired }, s_json));
        }
        else
        {
            PrintReport(data, report);
            if (repaired is not null)
            {
                PrintRepair(repaired);
            }
        }

        if (report.IsHealthy)
        {
            return Healthy;
        }

        // Missing images cannot be repaired here (re-import them, or remove their catalogue rows), so they keep the exit code at 1.
        return repaired is { Succeeded: true, StillMissing.Count: 0 } && report.Unreadable.Count == 0 ? Healthy : ProblemsFound;
    }

    private static void PrintReport(DataDirectory data, IntegrityReport report)
    {
        Console.WriteLine($"store {data.Store.RootDirectory}, catalogue {data.CataloguePath}");
        Terminal.Table(null, ["catalogued", "files checked", "missing", "orphans", "corrupt", "unreadable", "leftover temp files"],
            [[$"{report.Catalogued:N0}", $"{report.Checked:N0}", $"{report.Missing.Count}", $"{report.Orphans.Count}", $"{report.Corrupt.Count}", $"{report.Unreadable.Count}", $"{report.LeftoverTempFiles}"]]);
        foreach (var hash in report.Missing) Console.WriteLine($"  missing    {hash} (catalogued, no file)");
        foreach (var hash in report.Orphans) Console.WriteLine($"  orphan     {hash} (file, not catalogued)");
        foreach (var file in report.Corrupt) Console.WriteLine($"  corrupt    {file.Sha256} (bytes hash to {file.ActualSha256})");
        foreach (var hash in report.Unreadable) Console.WriteLine($"  unreadable {hash}");
        foreach (var path in report.TempFiles) Console.WriteLine($"  temp file  {path}");
        Console.WriteLine(report.IsHealthy ? "healthy" : "problems found");
    }

    private static void PrintRepair(RepairResult repair)
    {
        Console.WriteLine($"repair: quarantined {repair.Quarantined.Count} file(s) in {repair.QuarantineDirectory}, deleted {repair.TempFilesDeleted} temp file(s)");
        foreach (var file in repair.Quarantined) Console.WriteLine($"  quarantined {file.Sha256} ({file.Reason}) -> {file.Path}");
        foreach (var failure in repair.Failures) Console.WriteLine($"  failed      {failure}");
        if (repair.StillMissing.Count > 0)
        {
            Console.WriteLine($"  {repair.StillMissing.Count} catalogued image(s) still missing: re-import them or remove their catalogue entries");
        }
    }
}
