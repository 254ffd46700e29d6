using Microsoft.Extensions.Options;
using Pneumonia.Silo.Reminders;

namespace Pneumonia.Silo.Tests;

public sealed class FileReminderTableTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly FileReminderTable _table;

    public FileReminderTableTests() => _table = NewTable();

    public void Dispose()
    {
        _table.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task Upsert_then_read_returns_the_entry_with_the_new_etag()
    {
        var entry = NewEntry(GrainId.Create("counter", "a"), "tick");

        var eTag = await _table.UpsertRow(entry);

        var read = await _table.ReadRow(entry.GrainId, "tick");
        Assert.NotNull(read);
        Assert.Equal(eTag, read.ETag);
        Assert.Equal(entry.StartAt, read.StartAt);
        Assert.Equal(entry.Period, read.Period);
        Assert.Equal(entry.GrainId, read.GrainId);
        Assert.Null(await _table.ReadRow(entry.GrainId, "other"));
    }

    [Fact]
    public async Task Upsert_of_an_existing_reminder_replaces_it_with_a_new_etag()
    {
        var grainId = GrainId.Create("counter", "a");
        var first = await _table.UpsertRow(NewEntry(grainId, "tick"));
        var changed = NewEntry(grainId, "tick");
        changed.Period = TimeSpan.FromMinutes(7);

        var second = await _table.UpsertRow(changed);

        Assert.NotEqual(first, second);
        var read = Assert.Single((await _table.ReadRows(grainId)).Reminders);
        Assert.Equal(TimeSpan.FromMinutes(7), read.Period);
    }

    [Fact]
    public async Task ReadRows_of_a_grain_returns_only_its_reminders()
    {
        var a = GrainId.Create("counter", "a");
        var b = GrainId.Create("counter", "b");
        await _table.UpsertRow(NewEntry(a, "one"));
        await _table.UpsertRow(NewEntry(a, "two"));
        await _table.UpsertRow(NewEntry(b, "one"));

        var rows = await _table.ReadRows(a);

        Assert.Equal(["one", "two"], rows.Reminders.Select(r => r.ReminderName).Order());
        Assert.All(rows.Reminders, r => Assert.Equal(a, r.GrainId));
    }

    [Fact]
    public async Task Remove_needs_the_current_etag()
    {
        var grainId = GrainId.Create("counter", "a");
        var eTag = await _table.UpsertRow(NewEntry(grainId, "tick"));

        Assert.False(await _table.RemoveRow(grainId, "tick", "stale"));
        Assert.NotNull(await _table.ReadRow(grainId, "tick"));
        Assert.False(await _table.RemoveRow(grainId, "missing", eTag!));

        Assert.True(await _table.RemoveRow(grainId, "tick", eTag!));
        Assert.Null(await _table.ReadRow(grainId, "tick"));
        Assert.False(await _table.RemoveRow(grainId, "tick", eTag!));
    }

    [Fact]
    public async Task Reminders_survive_a_new_table_on_the_same_directory()
    {
        var grainId = GrainId.Create("counter", "a");
        var eTag = await _table.UpsertRow(NewEntry(grainId, "tick"));
        await _table.UpsertRow(NewEntry(grainId, "gone"));
        await _table.RemoveRow(grainId, "gone", (await _table.ReadRow(grainId, "gone"))!.ETag!);

        using var reopened = NewTable();

        var read = Assert.Single((await reopened.ReadRows(grainId)).Reminders);
        Assert.Equal("tick", read.ReminderName);
        Assert.Equal(eTag, read.ETag);
        Assert.Equal(DateTimeKind.Utc, read.StartAt.Kind);
    }

    [Fact]
    public async Task TestOnlyClearTable_removes_everything_also_on_disk()
    {
        await _table.UpsertRow(NewEntry(GrainId.Create("counter", "a"), "tick"));

        await _table.TestOnlyClearTable();

        Assert.Empty((await _table.ReadRows(0, 0)).Reminders);
        using var reopened = NewTable();
        Assert.Empty((await reopened.ReadRows(0, 0)).Reminders);
    }

    [Fact]
    public async Task Range_reads_follow_the_ring_semantics_of_orleans()
    {
        // Grains sorted by their ring position, so ranges can be drawn between them.
        var grains = Enumerable.Range(0, 40)
            .Select(i => GrainId.Create("counter", $"g{i}"))
            .OrderBy(g => g.GetUniformHashCode())
            .ToArray();
        foreach (var grain in grains)
        {
            await _table.UpsertRow(NewEntry(grain, "tick"));
        }

        var hashes = grains.Select(g => g.GetUniformHashCode()).ToArray();
        var (low, high) = (hashes[10], hashes[30]);

        // (low, high]: excludes the grain at low, includes the one at high.
        uint[] inside = hashes[11..31];
        Assert.Equal(inside, await HashesIn(low, high));

        // begin > end wraps around zero: (high, max] and [0, low].
        uint[] wrapped = [.. hashes[..11], .. hashes[31..]];
        Assert.Equal(wrapped, await HashesIn(high, low));

        // begin == end is the full ring, as in Orleans' RangeFactory.
        Assert.Equal(hashes, await HashesIn(0, 0));
        Assert.Equal(hashes, await HashesIn(low, low));

        async Task<uint[]> HashesIn(uint begin, uint end)
            => [.. (await _table.ReadRows(begin, end)).Reminders.Select(r => r.GrainId.GetUniformHashCode()).Order()];
    }

    [Fact]
    public async Task A_damaged_file_fails_loudly()
    {
        var file = Path.Combine(_directory.Path, "reminders", "reminders.json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, "[{\"grainId\": \"counter/a\"}]");

        await Assert.ThrowsAsync<InvalidDataException>(_table.Init);
    }

    private FileReminderTable NewTable()
        => new(Options.Create(new FileReminderTableOptions { DataDirectory = _directory.Path }));

    private static ReminderEntry NewEntry(GrainId grainId, string name) => new()
    {
        GrainId = grainId,
        ReminderName = name,
        StartAt = new DateTime(2026, 11, 26, 8, 0, 0, DateTimeKind.Utc),
        Period = TimeSpan.FromMinutes(5),
    };
}
