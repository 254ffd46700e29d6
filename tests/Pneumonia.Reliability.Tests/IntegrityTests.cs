using System.Text.Json;
using Pneumonia.Reliability.Tests.Infrastructure;

namespace Pneumonia.Reliability.Tests;

/// <summary>
/// <c>pneumonia check-store</c> as users run it: it finds missing, uncatalogued, corrupt and temp files, changes
/// nothing unless asked, and a repair quarantines without deleting an image.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class IntegrityTests
{
    [Fact]
    public async Task Check_store_reports_each_kind_of_damage_changes_nothing_and_repairs_only_when_asked()
    {
        using var root = new TempDirectory();
        var source = root.Combine("kaggle");
        var images = Files.Xrays("train", 3, skip: 300);
        foreach (var (name, bytes, label) in images)
        {
            Directory.CreateDirectory(Path.Combine(source, "train", label));
            await File.WriteAllBytesAsync(Path.Combine(source, "train", label, name), bytes);
        }

        var data = root.Combine("data");
        Assert.Equal(0, (await Cli.RunAsync("import", source, "--data", data)).ExitCode);
        var healthy = await CheckAsync(data);
        Assert.Equal((0, images.Count), (healthy.Code, healthy.Json.GetProperty("report").GetProperty("catalogued").GetInt32()));

        // One of each kind of damage.
        var store = Path.Combine(data, "images");
        var stored = Directory.GetFiles(store, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var corrupt = stored[0];
        var missing = stored[1];
        var originalBytes = await File.ReadAllBytesAsync(corrupt);
        var corruptBytes = (byte[])originalBytes.Clone();
        corruptBytes[^10] ^= 0xFF;
        await File.WriteAllBytesAsync(corrupt, corruptBytes);
        var missingBytes = await File.ReadAllBytesAsync(missing);
        File.Delete(missing);
        var orphanBytes = Files.OneXray(11);
        var orphan = Path.Combine(store, Files.Sha256(orphanBytes)[..2], Files.Sha256(orphanBytes));
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        await File.WriteAllBytesAsync(orphan, orphanBytes);
        var temp = orphan + ".0123abcd.tmp";
        await File.WriteAllBytesAsync(temp, orphanBytes[..100]);

        var before = Files.Snapshot(data);
        var report = await CheckAsync(data);
        Assert.Equal(1, report.Code);
        var found = report.Json.GetProperty("report");
        Assert.Equal([Path.GetFileName(missing)], Strings(found.GetProperty("missing")));
        Assert.Equal([Path.GetFileName(orphan)], Strings(found.GetProperty("orphans")));
        Assert.Equal(Path.GetFileName(corrupt), Assert.Single(found.GetProperty("corrupt").EnumerateArray().ToList()).GetProperty("sha256").GetString());
        Assert.Single(found.GetProperty("tempFiles").EnumerateArray());
        Assert.Equal(before, Files.Snapshot(data));

        var repair = await CheckAsync(data, "--repair");
        Assert.Equal(1, repair.Code);
        var after = Files.Snapshot(data);
        Assert.False(File.Exists(corrupt));
        Assert.False(File.Exists(orphan));
        Assert.False(File.Exists(temp));
        // Quarantined, not deleted: the corrupt and the orphan bytes are still on disk.
        var quarantined = Files.Snapshot(Path.Combine(data, "quarantine")).Values.ToHashSet();
        Assert.Contains(Files.Sha256(corruptBytes), quarantined);
        Assert.Contains(Files.Sha256(orphanBytes), quarantined);

        // Left: the missing image and the catalogued one whose corrupt copy went to quarantine; restoring their bytes heals the store.
        var left = (await CheckAsync(data)).Json.GetProperty("report");
        Assert.Equal(new[] { missing, corrupt }.Select(Path.GetFileName).Order(StringComparer.Ordinal), Strings(left.GetProperty("missing")));
        Assert.Empty(left.GetProperty("orphans").EnumerateArray());
        Assert.Empty(left.GetProperty("corrupt").EnumerateArray());
        await File.WriteAllBytesAsync(missing, missingBytes);
        await File.WriteAllBytesAsync(corrupt, originalBytes);
        Assert.Equal(0, (await CheckAsync(data)).Code);
        Assert.NotEqual(before, after);
        ReliabilityLog.Record(Areas.Integrity, "pneumonia check-store on a store with a missing, an uncatalogued, a corrupt and a temp file", inputs: 5,
            outcome: "healthy store: exit 0; damaged: exit 1 naming exactly the four problems, not a byte changed; --repair moved the corrupt and the uncatalogued file into quarantine/ (bytes kept) and deleted the temp file; the missing image (and the quarantined catalogued one) stay reported as missing until their bytes are restored, then exit 0",
            lost: "nothing (quarantined files keep their bytes)");
    }

    private static async Task<(int Code, JsonElement Json)> CheckAsync(string data, params string[] extra)
    {
        var (code, output) = await Cli.RunAsync(["check-store", "--data", data, "--json", .. extra]);
        Assert.True(code is 0 or 1, output);
        return (code, JsonDocument.Parse(output).RootElement);
    }

    private static List<string?> Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString())];
}
