using System.Text.Json;
using Microsoft.Extensions.Options;
using Pneumonia.Silo.Storage;

namespace Pneumonia.Silo.Reminders;

/// <summary>
/// A reminder table for a single silo, kept in memory and persisted as one JSON file
/// (<c>&lt;data&gt;/reminders/reminders.json</c>) that is replaced atomically on every change.
/// </summary>
/// <remarks>
/// Reminders change rarely (registration and removal, not ticks), so rewriting the whole file is cheap and keeps the
/// file consistent as a whole. Each change builds a new table, writes it, and only then replaces the table in memory:
/// a failed write leaves both unchanged. One lock serialises all operations. Range reads use Orleans' own ring range
/// (<see cref="RangeFactory"/>), as its in-memory table does: (begin, end], wrapping around when begin &gt;= end.
/// </remarks>
public sealed class FileReminderTable : IReminderTable, IDisposable
{
    private readonly string _path;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private Dictionary<(GrainId GrainId, string Name), StoredReminder>? _rows;

    /// <summary>Creates the table; the file is read on first use.</summary>
    /// <param name="options">Where the data directory is.</param>
    public FileReminderTable(IOptions<FileReminderTableOptions> options)
    {
        ArgumentException.ThrowIfNullOrEmpty(options.Value.DataDirectory);
        _path = Path.Combine(Path.GetFullPath(options.Value.DataDirectory), "reminders", "reminders.json");
    }

    /// <inheritdoc />
    public Task Init() => ReadAsync(_ => true);

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(GrainId grainId)
        => ReadAsync(rows => ToData(rows.Where(row => row.Key.GrainId.Equals(grainId))));

    /// <inheritdoc />
    public Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        var range = RangeFactory.CreateRange(begin, end);
        return ReadAsync(rows => ToData(rows.Where(row => range.InRange(row.Key.GrainId))));
    }

    /// <inheritdoc />
    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
        => ReadAsync(rows => rows.TryGetValue((grainId, reminderName), out var row) ? ToEntry(grainId, row) : null);

    /// <inheritdoc />
    public Task<string?> UpsertRow(ReminderEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var eTag = Guid.NewGuid().ToString("N");
        var row = new StoredReminder(entry.GrainId.ToString(), entry.ReminderName, entry.StartAt, entry.Period, eTag);
        return UpdateAsync(rows =>
        {
            rows[(entry.GrainId, entry.ReminderName)] = row;
            return (true, (string?)eTag);
        });
    }

    /// <inheritdoc />
    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
        => UpdateAsync(rows =>
        {
            var removed = rows.TryGetValue((grainId, reminderName), out var row)
                && string.Equals(row.ETag, eTag, StringComparison.Ordinal)
                && rows.Remove((grainId, reminderName));
            return (removed, removed);
        });

    /// <inheritdoc />
    public Task TestOnlyClearTable()
        => UpdateAsync(rows =>
        {
            rows.Clear();
            return (true, true);
        });

    /// <inheritdoc />
    public void Dispose() => _lock.Dispose();

    private static ReminderTableData ToData(IEnumerable<KeyValuePair<(GrainId GrainId, string Name), StoredReminder>> rows)
        => new(rows.Select(row => ToEntry(row.Key.GrainId, row.Value)));

    // A new entry each time: callers may change what they get without touching the table.
    private static ReminderEntry ToEntry(GrainId grainId, StoredReminder row) => new()
    {
        GrainId = grainId,
        ReminderName = row.ReminderName,
        StartAt = row.StartAt,
        Period = row.Period,
        ETag = row.ETag,
    };

    private async Task<T> ReadAsync<T>(Func<IReadOnlyDictionary<(GrainId GrainId, string Name), StoredReminder>, T> read)
    {
        await _lock.WaitAsync();
        try
        {
            return read(_rows ??= await LoadAsync());
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <param name="change">Changes a copy of the table; returns whether it changed anything, and the result.</param>
    private async Task<T> UpdateAsync<T>(Func<Dictionary<(GrainId GrainId, string Name), StoredReminder>, (bool Changed, T Result)> change)
    {
        await _lock.WaitAsync();
        try
        {
            var rows = new Dictionary<(GrainId GrainId, string Name), StoredReminder>(_rows ??= await LoadAsync());
            var (changed, result) = change(rows);
            if (changed)
            {
                var content = JsonSerializer.SerializeToUtf8Bytes(rows.Values.ToList(), SiloJsonContext.Default.ListStoredReminder);
                await AtomicFile.WriteAllBytesAsync(_path, content, CancellationToken.None);
                _rows = rows;
            }

            return result;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<Dictionary<(GrainId GrainId, string Name), StoredReminder>> LoadAsync()
    {
        var bytes = await AtomicFile.TryReadAllBytesAsync(_path, CancellationToken.None);
        if (bytes is null)
        {
            return [];
        }

        try
        {
            var rows = JsonSerializer.Deserialize(bytes, SiloJsonContext.Default.ListStoredReminder)
                ?? throw new JsonException("The file holds null.");
            return rows.ToDictionary(row => (GrainId.Parse(row.GrainId), row.ReminderName));
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"The reminder file {_path} is damaged: {e.Message}", e);
        }
    }
}
