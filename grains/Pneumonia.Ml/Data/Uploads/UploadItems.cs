namespace Pneumonia.Ml.Data.Uploads;

/// <summary>One named input of an upload: a loose file or a .zip archive. The caller owns the stream.</summary>
/// <param name="Name">The client's name for it, for display only: never used as a path.</param>
/// <param name="Content">The bytes, as a seekable stream (archives are read in place).</param>
public sealed record UploadSource(string Name, Stream Content);

/// <summary>What <see cref="UploadReader"/> found: a candidate image or a rejected file.</summary>
/// <param name="Name">The client's name of a loose file, or an archive entry's path inside its archive.</param>
public abstract record UploadItem(string Name);

/// <summary>Bytes that may be an image (not yet decoded: the caller checks them) and the label their names give.</summary>
/// <param name="Label">From the innermost <c>NORMAL</c>/<c>PNEUMONIA</c> folder of an archive entry, or the loose-file label; null when neither says.</param>
/// <param name="Split">From the innermost <c>train</c>/<c>val</c>/<c>test</c> folder of an entry path, if any (used by server-side imports).</param>
public sealed record UploadCandidate(string Name, byte[] Bytes, ImageLabel? Label, ImageSplit? Split) : UploadItem(Name);

/// <summary>A file or archive entry that was not read, or not read completely, and why.</summary>
/// <param name="Message">For the person who uploaded it; names the limit or the problem, never a server path.</param>
public sealed record UploadRejection(string Name, UploadRejectionReason Reason, string Message) : UploadItem(Name);

/// <summary>Why <see cref="UploadReader"/> refused a file or archive entry.</summary>
public enum UploadRejectionReason
{
    /// <summary>The file or entry is larger than <see cref="UploadLimits.MaxFileBytes"/>.</summary>
    TooLarge,

    /// <summary>The entry name is absolute, names a drive, or contains <c>..</c>.</summary>
    UnsafeName,

    /// <summary>The entry is a symbolic link, a device or otherwise not a regular file.</summary>
    NotRegularFile,

    /// <summary>The entry is itself an archive; archives inside archives are not opened.</summary>
    NestedArchive,

    /// <summary>The archive has more entries than <see cref="UploadLimits.MaxArchiveEntries"/>; none was read.</summary>
    TooManyEntries,

    /// <summary>The archives expand to more than <see cref="UploadLimits.MaxUncompressedBytes"/>.</summary>
    ArchiveTooLarge,

    /// <summary>The archive (or one of its entries) cannot be read.</summary>
    CorruptArchive,

    /// <summary>The archive holds no files (only folders, or nothing at all).</summary>
    EmptyArchive,
}

/// <summary>Bounds on what one <see cref="UploadReader"/> call reads.</summary>
/// <param name="MaxFileBytes">Largest loose file or archive entry, in bytes.</param>
/// <param name="MaxArchiveEntries">Most entries one archive (or server folder) may hold.</param>
/// <param name="MaxUncompressedBytes">Most bytes read from all archives of one call together, counted as read.</param>
public sealed record UploadLimits(long MaxFileBytes = 20L * 1024 * 1024, int MaxArchiveEntries = 10_000, long MaxUncompressedBytes = 2L * 1024 * 1024 * 1024)
{
    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless every limit is positive.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFileBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxArchiveEntries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxUncompressedBytes);
    }
}
