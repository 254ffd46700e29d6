using System.Security.Cryptography;
using System.Text.Json;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Pneumonia.Silo.Storage;

/// <summary>
/// Grain storage on the local disk for a single silo: one JSON file per grain state at
/// <c>&lt;data&gt;/grains/&lt;storage&gt;/&lt;grain type&gt;/&lt;state name&gt;/&lt;hex of the grain key&gt;.json</c>.
/// </summary>
/// <remarks>
/// <para>The file is a small JSON envelope (ETag, grain id, state name) around the payload of an
/// <see cref="IGrainStorageSerializer"/>. The default payload serializer is the Orleans serializer rather than
/// System.Text.Json: state types are <c>[GenerateSerializer]</c> types whose schema is defined by their <c>[Id]</c>
/// numbers, and the Orleans serializer honours exactly those (fields, private setters, renamed members, Orleans
/// types such as <c>GrainId</c>) with the same version tolerance as the wire, where System.Text.Json would silently
/// drop what it does not see as a public property. The price is a payload that is not human readable.</para>
/// <para>The ETag is a hash of the payload: a write or clear whose ETag differs from the stored one throws
/// <see cref="InconsistentStateException"/>. Writes replace the file atomically (temp file, fsync, rename); a
/// lock per file (striped) serialises operations on the same grain while different grains run in parallel.</para>
/// </remarks>
public sealed class FileGrainStorage : IGrainStorage
{
    private const int LockStripes = 64;

    private readonly string _root;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activatorProvider;
    private readonly SemaphoreSlim[] _locks = Enumerable.Range(0, LockStripes).Select(_ => new SemaphoreSlim(1, 1)).ToArray();

    /// <summary>Creates a storage that keeps its files under <c>&lt;dataDirectory&gt;/grains/&lt;name&gt;</c>.</summary>
    /// <param name="name">The storage provider name.</param>
    /// <param name="dataDirectory">The silo's data directory.</param>
    /// <param name="serializer">Serializer of the state payload.</param>
    /// <param name="activatorProvider">Creates the empty state when no record exists.</param>
    public FileGrainStorage(string name, string dataDirectory, IGrainStorageSerializer serializer, IActivatorProvider activatorProvider)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        _root = Path.Combine(Path.GetFullPath(dataDirectory), "grains", FileNames.Segment(name));
        _serializer = serializer;
        _activatorProvider = activatorProvider;
    }

    /// <inheritdoc />
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var path = GetPath(stateName, grainId);
        var stored = await WithLockAsync(path, () => ReadStoredAsync(path, cancellationToken), cancellationToken);
        if (stored is null)
        {
            Reset(grainState);
            return;
        }

        grainState.State = _serializer.Deserialize<T>(new BinaryData(stored.State));
        grainState.ETag = stored.ETag;
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var path = GetPath(stateName, grainId);
        var payload = _serializer.Serialize(grainState.State).ToArray();
        var eTag = Convert.ToHexStringLower(SHA256.HashData(payload).AsSpan(0, 16));
        var content = JsonSerializer.SerializeToUtf8Bytes(
            new StoredGrainState(eTag, grainId.ToString(), stateName, payload), SiloJsonContext.Default.StoredGrainState);

        await WithLockAsync(path, async () =>
        {
            await ThrowIfStaleAsync(path, "write", stateName, grainId, grainState.ETag, cancellationToken);
            await AtomicFile.WriteAllBytesAsync(path, content, cancellationToken);
            return true;
        }, cancellationToken);

        grainState.ETag = eTag;
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var path = GetPath(stateName, grainId);
        await WithLockAsync(path, async () =>
        {
            await ThrowIfStaleAsync(path, "clear", stateName, grainId, grainState.ETag, cancellationToken);
            File.Delete(path);
            return true;
        }, cancellationToken);

        Reset(grainState);
    }

    private string GetPath(string stateName, GrainId grainId) => Path.Combine(
        _root,
        FileNames.Segment(grainId.Type.ToString()!),
        FileNames.Segment(stateName),
        FileNames.Key(grainId.Key.AsSpan()) + ".json");

    private static async Task ThrowIfStaleAsync(string path, string operation, string stateName, GrainId grainId, string? expected, CancellationToken cancellationToken)
    {
        var stored = (await ReadStoredAsync(path, cancellationToken))?.ETag;
        if (!string.Equals(stored, expected, StringComparison.Ordinal))
        {
            throw new InconsistentStateException(
                $"Cannot {operation} state '{stateName}' of grain {grainId}: it was changed since it was read (file {path}).",
                storedEtag: stored ?? "<none>",
                currentEtag: expected ?? "<none>");
        }
    }

    private static async Task<StoredGrainState?> ReadStoredAsync(string path, CancellationToken cancellationToken)
    {
        var bytes = await AtomicFile.TryReadAllBytesAsync(path, cancellationToken);
        if (bytes is null)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, SiloJsonContext.Default.StoredGrainState)
                ?? throw new JsonException("The file holds null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The grain state file {path} is damaged: {e.Message}", e);
        }
    }

    private void Reset<T>(IGrainState<T> grainState)
    {
        grainState.State = _activatorProvider.GetActivator<T>().Create();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private async Task<TResult> WithLockAsync<TResult>(string path, Func<Task<TResult>> action, CancellationToken cancellationToken)
    {
        var gate = _locks[(uint)StringComparer.Ordinal.GetHashCode(path) % LockStripes];
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await action();
        }
        finally
        {
            gate.Release();
        }
    }
}
