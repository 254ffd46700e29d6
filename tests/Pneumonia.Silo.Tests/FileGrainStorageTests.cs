using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;
using Pneumonia.Abstractions;
using Pneumonia.Silo.Storage;

namespace Pneumonia.Silo.Tests;

public sealed class FileGrainStorageTests : IDisposable
{
    private const string StateName = "counter";

    private readonly TempDirectory _directory = new();
    private readonly ServiceProvider _services = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(CounterState).Assembly))
        .BuildServiceProvider();
    private readonly FileGrainStorage _storage;

    public FileGrainStorageTests()
    {
        _storage = new FileGrainStorage(
            GrainStorage.Name,
            _directory.Path,
            new OrleansGrainStorageSerializer(_services.GetRequiredService<Serializer>()),
            _services.GetRequiredService<IActivatorProvider>());
    }

    public void Dispose()
    {
        _services.Dispose();
        _directory.Dispose();
    }

    [Fact]
    public async Task Read_of_a_missing_record_gives_an_empty_state_without_record()
    {
        var state = new GrainState<CounterState>(new CounterState { Count = 7 }, "stale");

        await _storage.ReadStateAsync(StateName, NewGrainId(), state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Equal(new CounterState(), state.State);
    }

    [Fact]
    public async Task Write_then_read_round_trips_state_and_etag()
    {
        var grainId = NewGrainId();
        var written = new GrainState<CounterState>(new CounterState { Count = 3, Label = "ü/..\\x" });

        await _storage.WriteStateAsync(StateName, grainId, written);
        var read = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, grainId, read);

        Assert.True(written.RecordExists);
        Assert.NotNull(written.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(written.State, read.State);
    }

    [Fact]
    public async Task The_file_lies_under_storage_grain_type_and_state_with_a_hex_key()
    {
        var grainId = GrainId.Create("counter", "../../etc/passwd");

        await _storage.WriteStateAsync(StateName, grainId, new GrainState<CounterState>(new CounterState { Count = 1 }));

        var expected = Path.Combine(
            _directory.Path, "grains", GrainStorage.Name, "counter", StateName,
            Convert.ToHexStringLower("../../etc/passwd"u8) + ".json");
        Assert.True(File.Exists(expected));
        Assert.Single(Directory.EnumerateFiles(_directory.Path, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_throws_and_keeps_the_stored_state()
    {
        var grainId = NewGrainId();
        var first = new GrainState<CounterState>(new CounterState { Count = 1 });
        await _storage.WriteStateAsync(StateName, grainId, first);
        var second = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, grainId, second);

        await _storage.WriteStateAsync(StateName, grainId, new GrainState<CounterState>(new CounterState { Count = 2 }, first.ETag));
        second.State = new CounterState { Count = 99 };

        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.WriteStateAsync(StateName, grainId, second));
        var read = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, grainId, read);
        Assert.Equal(2, read.State!.Count);
    }

    [Fact]
    public async Task A_first_write_over_an_existing_record_throws()
    {
        var grainId = NewGrainId();
        await _storage.WriteStateAsync(StateName, grainId, new GrainState<CounterState>(new CounterState { Count = 1 }));

        await Assert.ThrowsAsync<InconsistentStateException>(
            () => _storage.WriteStateAsync(StateName, grainId, new GrainState<CounterState>(new CounterState { Count = 2 })));
    }

    [Fact]
    public async Task Clear_deletes_the_record_and_resets_the_etag()
    {
        var grainId = NewGrainId();
        var state = new GrainState<CounterState>(new CounterState { Count = 5 });
        await _storage.WriteStateAsync(StateName, grainId, state);

        await _storage.ClearStateAsync(StateName, grainId, state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Empty(Directory.EnumerateFiles(_directory.Path, "*.json", SearchOption.AllDirectories));
        var read = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, grainId, read);
        Assert.False(read.RecordExists);

        // After a clear the grain starts over: a write without an ETag is accepted again.
        await _storage.WriteStateAsync(StateName, grainId, state);
        Assert.True(state.RecordExists);
    }

    [Fact]
    public async Task Clear_with_a_stale_etag_throws()
    {
        var grainId = NewGrainId();
        var state = new GrainState<CounterState>(new CounterState { Count = 5 });
        await _storage.WriteStateAsync(StateName, grainId, state);
        state.ETag = "stale";

        await Assert.ThrowsAsync<InconsistentStateException>(() => _storage.ClearStateAsync(StateName, grainId, state));
    }

    [Fact]
    public async Task A_leftover_temp_file_does_not_change_what_is_read_or_written()
    {
        var grainId = NewGrainId();
        var state = new GrainState<CounterState>(new CounterState { Count = 4 });
        await _storage.WriteStateAsync(StateName, grainId, state);
        var file = Assert.Single(Directory.EnumerateFiles(_directory.Path, "*.json", SearchOption.AllDirectories));

        // What a crash between "create temp" and "rename" leaves behind: a half-written temp file.
        await File.WriteAllTextAsync($"{file}.{Guid.NewGuid():N}.tmp", "{\"eTag\": \"tor");

        var read = new GrainState<CounterState>();
        await _storage.ReadStateAsync(StateName, grainId, read);
        Assert.Equal(4, read.State!.Count);
        read.State = read.State! with { Count = 5 };
        await _storage.WriteStateAsync(StateName, grainId, read);
        await _storage.ReadStateAsync(StateName, grainId, read);
        Assert.Equal(5, read.State!.Count);
    }

    [Fact]
    public async Task A_damaged_file_fails_the_read_instead_of_losing_the_state()
    {
        var grainId = NewGrainId();
        await _storage.WriteStateAsync(StateName, grainId, new GrainState<CounterState>(new CounterState { Count = 1 }));
        var file = Assert.Single(Directory.EnumerateFiles(_directory.Path, "*.json", SearchOption.AllDirectories));
        await File.WriteAllTextAsync(file, "{\"eTag\": \"x\"}");

        await Assert.ThrowsAsync<InvalidDataException>(() => _storage.ReadStateAsync(StateName, grainId, new GrainState<CounterState>()));
    }

    [Fact]
    public async Task Concurrent_writes_to_different_grains_all_persist()
    {
        var grainIds = Enumerable.Range(0, 64).Select(i => GrainId.Create("counter", $"grain-{i}")).ToArray();

        await Task.WhenAll(grainIds.Select((grainId, i) => Task.Run(async () =>
        {
            var state = new GrainState<CounterState>();
            for (var n = 1; n <= 5; n++)
            {
                state.State = new CounterState { Count = i * 100 + n };
                await _storage.WriteStateAsync(StateName, grainId, state);
            }
        })));

        for (var i = 0; i < grainIds.Length; i++)
        {
            var read = new GrainState<CounterState>();
            await _storage.ReadStateAsync(StateName, grainIds[i], read);
            Assert.Equal(i * 100 + 5, read.State!.Count);
        }

        Assert.Empty(Directory.EnumerateFiles(_directory.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Different_state_names_and_grain_types_do_not_share_a_file()
    {
        var a = GrainId.Create("counter", "same-key");
        var b = GrainId.Create("other", "same-key");

        await _storage.WriteStateAsync("one", a, new GrainState<CounterState>(new CounterState { Count = 1 }));
        await _storage.WriteStateAsync("two", a, new GrainState<CounterState>(new CounterState { Count = 2 }));
        await _storage.WriteStateAsync("one", b, new GrainState<CounterState>(new CounterState { Count = 3 }));

        var read = new GrainState<CounterState>();
        await _storage.ReadStateAsync("two", a, read);
        Assert.Equal(2, read.State!.Count);
        await _storage.ReadStateAsync("one", b, read);
        Assert.Equal(3, read.State!.Count);
    }

    private static GrainId NewGrainId() => GrainId.Create("counter", Guid.NewGuid().ToString("N"));
}
