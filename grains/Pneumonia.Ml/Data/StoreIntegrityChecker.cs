using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Pneumonia.Ml.Data;

/// <summary>
/// Compares a catalogue's image hashes with the files of a <see cref="ContentAddressedImageStore"/>: catalogued images
/// without a file, files nobody catalogued, files whose bytes no longer hash to their name, and temporary files left
/// by crashed writes. <see cref="CheckAsync"/> only reads; <see cref="RepairAsync"/> changes the store, and never
/// deletes image data: it moves suspicious files into a quarantine folder beside the store.
/// </summary>
public static class StoreIntegrityChecker
{
    /// <summary>The quarantine folder's name, created beside the store's root (<c>data/images</c> -> <c>data/quarantine</c>).</summary>
    public const string QuarantineDirectoryName = "quarantine";

    private const int HashBufferSize = 1 << 16;

    /// <summary>
    /// Hashes every stored file (streamed, a few files at a time) and compares the store with
    /// <paramref name="cataloguedHashes"/>. Lists in the report are sorted ordinally.
    /// </summary>
    /// <param name="cataloguedHashes">The image hashes the catalogue refers to.</param>
    /// <param name="store">The store to check; it is not changed.</param>
    /// <param name="cancellationToken">Stops the hashing.</param>
    /// <param name="maxDegreeOfParallelism">Files hashed at once; default: the processor count.</param>
    public static async Task<IntegrityReport> CheckAsync(
        IReadOnlyCollection<string> cataloguedHashes,
        ContentAddressedImageStore store,
        CancellationToken cancellationToken,
        int? maxDegreeOfParallelism = null)
    {
        ArgumentNullException.ThrowIfNull(cataloguedHashes);
        ArgumentNullException.ThrowIfNull(store);

        var catalogued = cataloguedHashes as IReadOnlySet<string> ?? cataloguedHashes.ToHashSet(StringComparer.Ordinal);
        // Temp files are listed before hashing so that a write which finishes meanwhile is not mistaken for an orphan
        // temp file: only the paths seen here are ever deleted by a repair.
        var tempFiles = store.EnumerateTempFiles().Order(StringComparer.Ordinal).ToList();
        var stored = store.EnumerateHashes().ToList();

        var corrupt = new ConcurrentBag<CorruptFile>();
        var unreadable = new ConcurrentBag<string>();
        var vanished = new ConcurrentBag<string>();
        var parallel = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = maxDegreeOfParallelism ?? Environment.ProcessorCount,
        };
        await Parallel.ForEachAsync(stored, parallel, async (sha256, cancel) =>
        {
            try
            {
                var actual = await HashFileAsync(store.PathOf(sha256), cancel);
                if (!string.Equals(actual, sha256, StringComparison.Ordinal))
                {
                    corrupt.Add(new CorruptFile(sha256, actual));
                }
            }
            catch (FileNotFoundException)
            {
                vanished.Add(sha256);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                unreadable.Add(sha256);
            }
        });

        var present = stored.Except(vanished).ToHashSet(StringComparer.Ordinal);
        var corruptNames = corrupt.Select(file => file.Sha256).ToHashSet(StringComparer.Ordinal);
        return new IntegrityReport(
            Catalogued: catalogued.Count,
            Checked: stored.Count - vanished.Count - unreadable.Count,
            Missing: [.. catalogued.Where(hash => !present.Contains(hash)).Order(StringComparer.Ordinal)],
            // A corrupt file is listed once, as corrupt, whether or not it is catalogued.
            Orphans: [.. present.Where(hash => !catalogued.Contains(hash) && !corruptNames.Contains(hash)).Order(StringComparer.Ordinal)],
            Corrupt: [.. corrupt.OrderBy(file => file.Sha256, StringComparer.Ordinal)],
            Unreadable: [.. unreadable.Order(StringComparer.Ordinal)],
            TempFiles: tempFiles);
    }

    /// <summary>
    /// Repairs what <paramref name="report"/> found, as far as <paramref name="options"/> allow: moves corrupt files
    /// and orphans into the quarantine folder (never deleting them), deletes the temp files the check saw. Missing
    /// images cannot be repaired here; they are returned as <see cref="RepairResult.StillMissing"/>. Run it when
    /// nothing writes to the store: a temp file of a write in progress looks like a leftover.
    /// </summary>
    public static async Task<RepairResult> RepairAsync(
        IntegrityReport report,
        ContentAddressedImageStore store,
        RepairOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);

        var quarantineRoot = Path.GetFullPath(options.QuarantineDirectory ?? DefaultQuarantineDirectory(store));
        var quarantined = new List<QuarantinedFile>();
        var failures = new List<string>();

        if (options.QuarantineCorrupt)
        {
            foreach (var file in report.Corrupt)
            {
                var path = store.PathOf(file.Sha256);
                try
                {
                    // Re-hash first: only bytes that still do not match their name leave the store.
                    if (await HashFileAsync(path, cancellationToken) == file.Sha256)
                    {
                        continue;
                    }
                }
                catch (FileNotFoundException)
                {
                    continue;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failures.Add($"{path}: {e.Message}");
                    continue;
                }

                Quarantine(path, Path.Combine(quarantineRoot, "corrupt"), QuarantineReason.Corrupt, quarantined, failures);
            }
        }

        if (options.QuarantineOrphans)
        {
            foreach (var sha256 in report.Orphans)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var path = store.PathOf(sha256);
                if (File.Exists(path))
                {
                    Quarantine(path, Path.Combine(quarantineRoot, "orphans"), QuarantineReason.Orphan, quarantined, failures);
                }
            }
        }

        var tempFilesDeleted = 0;
        if (options.DeleteTempFiles)
        {
            var storeRoot = store.RootDirectory + Path.DirectorySeparatorChar;
            foreach (var tempFile in report.TempFiles)
            {
                // A report is plain data; refuse to delete anything that is not a temp file inside this store.
                var path = Path.GetFullPath(tempFile);
                if (!path.StartsWith(storeRoot, StringComparison.Ordinal) || !ContentAddressedImageStore.IsTempFileName(path) || !File.Exists(path))
                {
                    continue;
                }

                try
                {
                    File.Delete(path);
                    tempFilesDeleted++;
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    failures.Add($"{path}: {e.Message}");
                }
            }
        }

        return new RepairResult(quarantineRoot, quarantined, tempFilesDeleted, report.Missing, failures);
    }

    /// <summary>The default quarantine folder: <c>quarantine</c> beside the store's root.</summary>
    public static string DefaultQuarantineDirectory(ContentAddressedImageStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var parent = Path.GetDirectoryName(store.RootDirectory) ?? store.RootDirectory;
        return Path.Combine(parent, QuarantineDirectoryName);
    }

    private static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, HashBufferSize,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    private static void Quarantine(string path, string directory, QuarantineReason reason, List<QuarantinedFile> quarantined, List<string> failures)
    {
        try
        {
            Directory.CreateDirectory(directory);
            var name = Path.GetFileName(path);
            // Never overwrite an earlier quarantined file: add a counter until the name is free.
            for (var attempt = 0; ; attempt++)
            {
                var destination = Path.Combine(directory, attempt == 0 ? name : $"{name}.{attempt}");
                if (File.Exists(destination))
                {
                    continue;
                }

                try
                {
                    File.Move(path, destination, overwrite: false);
                    quarantined.Add(new QuarantinedFile(name, destination, reason));
                    return;
                }
                catch (IOException) when (File.Exists(destination) && File.Exists(path))
                {
                    // Another process took that name between the check and the move; try the next one.
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failures.Add($"{path}: {e.Message}");
        }
    }
}

/// <summary>What <see cref="StoreIntegrityChecker.CheckAsync"/> found. Hash lists are sorted ordinally.</summary>
/// <param name="Catalogued">Distinct image hashes in the catalogue.</param>
/// <param name="Checked">Stored files whose bytes were hashed.</param>
/// <param name="Missing">Catalogued images with no file in the store.</param>
/// <param name="Orphans">Stored files (with intact bytes) that the catalogue does not list.</param>
/// <param name="Corrupt">Stored files whose bytes no longer hash to their name, catalogued or not.</param>
/// <param name="Unreadable">Stored files that could not be read (permissions, I/O errors).</param>
/// <param name="TempFiles">Absolute paths of temporary files left in the store.</param>
public sealed record IntegrityReport(
    int Catalogued,
    int Checked,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Orphans,
    IReadOnlyList<CorruptFile> Corrupt,
    IReadOnlyList<string> Unreadable,
    IReadOnlyList<string> TempFiles)
{
    /// <summary>The number of leftover temporary files.</summary>
    public int LeftoverTempFiles => TempFiles.Count;

    /// <summary>True when the store holds exactly the catalogued images, intact, and nothing else.</summary>
    public bool IsHealthy => Missing.Count == 0 && Orphans.Count == 0 && Corrupt.Count == 0 && Unreadable.Count == 0 && TempFiles.Count == 0;
}

/// <summary>A stored file whose bytes do not match its name.</summary>
/// <param name="Sha256">The file's name: the hash its bytes should have.</param>
/// <param name="ActualSha256">The hash its bytes have.</param>
public sealed record CorruptFile(string Sha256, string ActualSha256);

/// <summary>What <see cref="StoreIntegrityChecker.RepairAsync"/> may change. By default: all it can.</summary>
/// <param name="QuarantineDirectory">Where suspicious files go; null: <c>quarantine</c> beside the store's root.</param>
public sealed record RepairOptions(
    string? QuarantineDirectory = null,
    bool QuarantineCorrupt = true,
    bool QuarantineOrphans = true,
    bool DeleteTempFiles = true);

/// <summary>What <see cref="StoreIntegrityChecker.RepairAsync"/> did.</summary>
/// <param name="QuarantineDirectory">The absolute path of the quarantine folder.</param>
/// <param name="Quarantined">Files moved out of the store.</param>
/// <param name="TempFilesDeleted">Leftover temporary files deleted.</param>
/// <param name="StillMissing">Catalogued images with no file; a repair cannot restore them.</param>
/// <param name="Failures">Files that could not be moved or deleted, with the reason.</param>
public sealed record RepairResult(
    string QuarantineDirectory,
    IReadOnlyList<QuarantinedFile> Quarantined,
    int TempFilesDeleted,
    IReadOnlyList<string> StillMissing,
    IReadOnlyList<string> Failures)
{
    /// <summary>True when every repairable problem was repaired (missing images are not repairable).</summary>
    public bool Succeeded => Failures.Count == 0;
}

/// <summary>A file moved into quarantine.</summary>
/// <param name="Sha256">Its name in the store.</param>
/// <param name="Path">Its absolute path in the quarantine folder.</param>
/// <param name="Reason">Why it was moved.</param>
public sealed record QuarantinedFile(string Sha256, string Path, QuarantineReason Reason);

/// <summary>Why a file was moved into quarantine.</summary>
public enum QuarantineReason
{
    /// <summary>Its bytes did not hash to its name.</summary>
    Corrupt,

    /// <summary>The catalogue did not list it.</summary>
    Orphan,
}
