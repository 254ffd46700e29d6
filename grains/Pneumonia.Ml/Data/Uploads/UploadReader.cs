using System.IO.Compression;

namespace Pneumonia.Ml.Data.Uploads;

/// <summary>
/// Turns uploaded files and .zip archives (or a server-side folder) into candidate images with the label their
/// names give, or rejections with a reason. Nothing is decoded or stored here: the caller checks each candidate
/// with the image decoder. One bad file or entry never stops the others; only an archive that expands past the
/// byte budget stops that archive (its remaining entries are reported as one rejection).
/// </summary>
/// <remarks>
/// Archives are recognised by their signature, not their name. Entry names are parsed only for a label folder
/// (<c>NORMAL</c> or <c>PNEUMONIA</c> at any depth, case ignored, the innermost wins) and a split folder; names that
/// could escape a folder and entries that are not regular files are refused. Sizes are counted as bytes are read,
/// so an archive that lies about its sizes costs at most one buffer past a limit. Archives inside archives are
/// rejected, not opened. Stateless and thread-safe; each call has its own byte budget.
/// </remarks>
public sealed class UploadReader
{
    private static readonly byte[] ZipLocalHeader = [(byte)'P', (byte)'K', 3, 4];
    private static readonly byte[] ZipEmptyArchive = [(byte)'P', (byte)'K', 5, 6];

    /// <summary>Creates a reader that enforces <paramref name="limits"/>.</summary>
    public UploadReader(UploadLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        Limits = limits;
    }

    /// <summary>The limits this reader enforces.</summary>
    public UploadLimits Limits { get; }

    /// <summary>
    /// Reads each source in order: an archive yields one item per entry, any other file one item labelled
    /// <paramref name="looseLabel"/>. Lazy: items are read as they are enumerated, so only one is held at a time.
    /// </summary>
    public IEnumerable<UploadItem> Read(IEnumerable<UploadSource> sources, ImageLabel? looseLabel)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var budget = NewBudget();
        foreach (var source in sources)
        {
            if (IsArchive(source.Content))
            {
                foreach (var item in ReadArchive(source, budget))
                {
                    yield return item;
                }
            }
            else
            {
                yield return ReadLoose(source, looseLabel);
            }
        }
    }

    /// <summary>
    /// Reads every file under <paramref name="folder"/> (links skipped) as if it were an archive entry: labels and
    /// splits come from the folder names; names are relative to <paramref name="folder"/>. Archives inside are rejected.
    /// </summary>
    public IEnumerable<UploadItem> ReadFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
        var paths = Directory.GetFiles(folder, "*", options);
        var displayName = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        if (paths.Length > Limits.MaxArchiveEntries)
        {
            yield return TooManyEntries(displayName, paths.Length);
            yield break;
        }

        // Sorted, so which of two identical files counts as the duplicate does not depend on the file system.
        Array.Sort(paths, StringComparer.Ordinal);
        var budget = NewBudget();
        foreach (var path in paths)
        {
            var name = Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/');
            var (item, stop) = ReadEntry(name, () => File.OpenRead(path), budget);
            yield return stop ? BudgetExhausted(displayName) : item;
            if (stop)
            {
                yield break;
            }
        }
    }

    private ByteBudget NewBudget() =>
        new(Limits.MaxUncompressedBytes, $"The archives expand to more than {Limits.MaxUncompressedBytes:N0} bytes.");

    private UploadItem ReadLoose(UploadSource source, ImageLabel? label)
    {
        // Loose files are bounded by the request size, not by the archive budget.
        var bytes = ArchiveSafety.ReadAtMost(source.Content, Limits.MaxFileBytes, new ByteBudget(long.MaxValue, string.Empty));
        return bytes is null
            ? TooLarge(source.Name)
            : new UploadCandidate(source.Name, bytes, label, null);
    }

    private IEnumerable<UploadItem> ReadArchive(UploadSource source, ByteBudget budget)
    {
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(source.Content, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException ex)
        {
            return [new UploadRejection(source.Name, UploadRejectionReason.CorruptArchive, $"The .zip archive cannot be read: {ex.Message}")];
        }

        return ReadEntries(source.Name, archive, budget);
    }

    private IEnumerable<UploadItem> ReadEntries(string archiveName, ZipArchive archive, ByteBudget budget)
    {
        using (archive)
        {
            var entries = archive.Entries;
            if (entries.Count > Limits.MaxArchiveEntries)
            {
                yield return TooManyEntries(archiveName, entries.Count);
                yield break;
            }

            // Reported, or an upload of an empty archive would answer with nothing about it at all.
            if (entries.All(ArchiveSafety.IsFolder))
            {
                yield return new UploadRejection(archiveName, UploadRejectionReason.EmptyArchive, "The archive holds no files.");
                yield break;
            }

            // Honest archives are refused before anything is read; dishonest ones when their bytes run past the budget.
            var declared = entries.Sum(entry => entry.Length);
            if (declared > budget.Remaining)
            {
                yield return new UploadRejection(
                    archiveName,
                    UploadRejectionReason.ArchiveTooLarge,
                    $"The archive declares {declared:N0} uncompressed bytes, over the limit of {Limits.MaxUncompressedBytes:N0} bytes " +
                    "for the archives of one upload; none of its entries was read.");
                yield break;
            }

            foreach (var entry in entries)
            {
                if (ArchiveSafety.IsFolder(entry))
                {
                    continue;
                }

                if (ArchiveSafety.UnsafeName(entry.FullName))
                {
                    yield return new UploadRejection(entry.FullName, UploadRejectionReason.UnsafeName,
                        "Unsafe name in the archive (absolute, a drive, or '..'); the entry was not read.");
                    continue;
                }

                if (!ArchiveSafety.IsRegularFile(entry))
                {
                    yield return new UploadRejection(entry.FullName, UploadRejectionReason.NotRegularFile,
                        "Not a regular file in the archive (a link, device or directory); the entry was not read.");
                    continue;
                }

                var (item, stop) = ReadEntry(entry.FullName, entry.Open, budget);
                if (stop)
                {
                    yield return BudgetExhausted(archiveName);
                    yield break;
                }

                yield return item;
            }
        }
    }

    // Returns stop = true when the budget ran out: the caller reports that once and reads no further.
    private (UploadItem Item, bool Stop) ReadEntry(string name, Func<Stream> open, ByteBudget budget)
    {
        if (name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            return (NestedArchive(name), false);
        }

        byte[]? bytes;
        try
        {
            using var stream = open();
            bytes = ArchiveSafety.ReadAtMost(stream, Limits.MaxFileBytes, budget);
        }
        catch (InvalidDataException) when (budget.IsExhausted)
        {
            return (null!, true);
        }
        catch (InvalidDataException ex)
        {
            return (new UploadRejection(name, UploadRejectionReason.CorruptArchive, $"The entry is damaged in the archive: {ex.Message}"), false);
        }

        if (bytes is null)
        {
            return (TooLarge(name), false);
        }

        if (IsArchive(bytes))
        {
            return (NestedArchive(name), false);
        }

        var (label, split) = ParseFolders(name);
        return (new UploadCandidate(name, bytes, label, split), false);
    }

    /// <summary>The innermost label folder and split folder of an entry path (the file name itself is not a folder).</summary>
    public static (ImageLabel? Label, ImageSplit? Split) ParseFolders(string entryName)
    {
        ArgumentNullException.ThrowIfNull(entryName);
        var segments = entryName.Split('/', '\\');
        ImageLabel? label = null;
        ImageSplit? split = null;
        for (var i = segments.Length - 2; i >= 0; i--)
        {
            if (label is null && LabelNames.TryParse(segments[i], out var foundLabel))
            {
                label = foundLabel;
            }
            else if (split is null && SplitNames.TryParse(segments[i], out var foundSplit))
            {
                split = foundSplit;
            }
        }

        return (label, split);
    }

    private UploadRejection TooLarge(string name) =>
        new(name, UploadRejectionReason.TooLarge, $"The file is over the limit of {Limits.MaxFileBytes:N0} bytes per image.");

    private UploadRejection TooManyEntries(string name, int count) =>
        new(name, UploadRejectionReason.TooManyEntries,
            $"The archive holds {count:N0} entries, over the limit of {Limits.MaxArchiveEntries:N0}; none of them was read.");

    private UploadRejection BudgetExhausted(string archiveName) =>
        new(archiveName, UploadRejectionReason.ArchiveTooLarge,
            $"The archives expand to more than {Limits.MaxUncompressedBytes:N0} bytes, the limit for one upload; " +
            "the remaining entries were not read.");

    private static UploadRejection NestedArchive(string name) =>
        new(name, UploadRejectionReason.NestedArchive, "An archive inside an archive is not opened; upload it on its own.");

    private static bool IsArchive(ReadOnlySpan<byte> bytes) => bytes.StartsWith(ZipLocalHeader) || bytes.StartsWith(ZipEmptyArchive);

    // Peeks at the signature; streams that cannot seek are buffered first (ASP.NET's form files can seek).
    private static bool IsArchive(Stream stream)
    {
        if (!stream.CanSeek)
        {
            throw new ArgumentException("Upload streams must be seekable.", nameof(stream));
        }

        var start = stream.Position;
        Span<byte> header = stackalloc byte[4];
        var read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        stream.Position = start;
        return read == header.Length && IsArchive(header);
    }
}
