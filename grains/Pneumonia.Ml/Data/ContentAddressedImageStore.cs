using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Pneumonia.Ml.Data;

/// <summary>
/// Image files named by the SHA-256 of their bytes, at <c>root/ab/abcdef…</c>. Names given by clients never become
/// paths, identical bytes are stored once, and a stored file never changes. Safe for concurrent use.
/// </summary>
public sealed class ContentAddressedImageStore : IImageStore
{
    private const int HashHexLength = 64;
    private const int ShardLength = 2;
    private const string TempSuffix = ".tmp";

    private static readonly SearchValues<char> LowerHexDigits = SearchValues.Create("0123456789abcdef");

    /// <summary>Creates a store rooted at <paramref name="rootDirectory"/> (created if missing).</summary>
    public ContentAddressedImageStore(string rootDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootDirectory);
        RootDirectory = Path.GetFullPath(rootDirectory);
        Directory.CreateDirectory(RootDirectory);
    }

    /// <summary>The absolute path of the store's root directory.</summary>
    public string RootDirectory { get; }

    /// <summary>Lower-case hex SHA-256 of <paramref name="bytes"/>, the name the store gives them.</summary>
    public static string HashOf(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// Stores <paramref name="bytes"/> unless already present. A new file is written to a temporary name beside
    /// its final one, flushed to disk and then renamed, so a reader or a crash never sees a partial file.
    /// </summary>
    public async Task<StoredImage> PutAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var hash = HashOf(bytes);
        var path = PathOf(hash);
        if (File.Exists(path))
        {
            return new StoredImage(hash, bytes.Length, NewlyStored: false);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tempPath = $"{path}.{Guid.NewGuid():N}{TempSuffix}";
        try
        {
            // No PreallocationSize: when the disk is full it fails with a generic IOException, while a plain write
            // fails with ENOSPC, which the API turns into a 507 (found by the reliability suite's full-disk test).
            await using (var stream = new FileStream(tempPath, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Options = FileOptions.Asynchronous,
            }))
            {
                await stream.WriteAsync(bytes, cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            // Without overwrite the rename fails if another writer stored the same bytes first; theirs are identical.
            File.Move(tempPath, path, overwrite: false);
            return new StoredImage(hash, bytes.Length, NewlyStored: true);
        }
        catch (IOException) when (File.Exists(path))
        {
            return new StoredImage(hash, bytes.Length, NewlyStored: false);
        }
        finally
        {
            File.Delete(tempPath);
        }
    }

    /// <summary>The path of the file for <paramref name="sha256"/>, whether or not it exists.</summary>
    /// <exception cref="ArgumentException"><paramref name="sha256"/> is not 64 lower-case hex digits.</exception>
    public string PathOf(string sha256)
    {
        if (!IsHash(sha256))
        {
            throw new ArgumentException("Expected a SHA-256 as 64 lower-case hex digits.", nameof(sha256));
        }

        return Path.Combine(RootDirectory, sha256[..ShardLength], sha256);
    }

    /// <summary>Whether the store holds the image with this hash.</summary>
    public bool Contains(string sha256) => File.Exists(PathOf(sha256));

    /// <summary>Reads the image with this hash.</summary>
    /// <exception cref="FileNotFoundException">The store does not hold it.</exception>
    public Task<byte[]> ReadAsync(string sha256, CancellationToken cancellationToken = default) =>
        File.ReadAllBytesAsync(PathOf(sha256), cancellationToken);

    /// <inheritdoc />
    public byte[] Read(string sha256) => File.ReadAllBytes(PathOf(sha256));

    /// <summary>The hashes of all stored images, in no particular order; temporary files are skipped.</summary>
    public IEnumerable<string> EnumerateHashes()
    {
        foreach (var shard in EnumerateShards())
        {
            var prefix = Path.GetFileName(shard);
            foreach (var name in Directory.EnumerateFiles(shard).Select(Path.GetFileName))
            {
                if (IsHash(name) && name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    yield return name;
                }
            }
        }
    }

    /// <summary>Recomputes the hash of a stored image; false if it is missing or its bytes no longer match.</summary>
    public async Task<bool> VerifyAsync(string sha256, CancellationToken cancellationToken = default)
    {
        var path = PathOf(sha256);
        if (!File.Exists(path))
        {
            return false;
        }

        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 81920, FileOptions.Asynchronous);
        var actual = await SHA256.HashDataAsync(stream, cancellationToken);
        return Convert.ToHexStringLower(actual) == sha256;
    }

    /// <summary>
    /// Deletes temporary files left by writes that crashed, and returns how many. Call it when no
    /// <see cref="PutAsync"/> is running (at start-up): it cannot tell a crashed write from one in progress.
    /// </summary>
    public int DeleteOrphanTempFiles()
    {
        var deleted = 0;
        foreach (var file in EnumerateTempFiles())
        {
            File.Delete(file);
            deleted++;
        }

        return deleted;
    }

    /// <summary>
    /// Absolute paths of the temporary files in the store: left by crashed writes, or by writes still in progress.
    /// </summary>
    public IEnumerable<string> EnumerateTempFiles() =>
        EnumerateShards().SelectMany(shard => Directory.EnumerateFiles(shard, "*" + TempSuffix));

    /// <summary>Whether <paramref name="path"/> names one of the store's temporary files (by its name only).</summary>
    public static bool IsTempFileName(string path) => path.EndsWith(TempSuffix, StringComparison.Ordinal);

    private IEnumerable<string> EnumerateShards() =>
        Directory.EnumerateDirectories(RootDirectory)
            .Where(directory => Path.GetFileName(directory) is { Length: ShardLength } name && IsLowerHex(name));

    private static bool IsHash([NotNullWhen(true)] string? value) => value is { Length: HashHexLength } && IsLowerHex(value);

    private static bool IsLowerHex(string value) => value.AsSpan().IndexOfAnyExcept(LowerHexDigits) < 0;
}
