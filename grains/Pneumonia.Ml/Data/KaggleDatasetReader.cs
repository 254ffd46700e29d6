using System.IO.Compression;
using Pneumonia.Ml.Data.Uploads;
using Pneumonia.Ml.Images;

namespace Pneumonia.Ml.Data;

/// <summary>
/// One file of a data set in the Kaggle layout: its bytes with the split and label its path gives, or the reason it
/// was refused before its bytes were looked at (layout, unsafe archive entry, size).
/// </summary>
/// <param name="Name">The file's path inside the folder or archive, with '/' separators (display only, never a path).</param>
/// <param name="Split">The split its folder names (meaningless when <paramref name="Rejection"/> is set).</param>
/// <param name="Label">The label its folder names (meaningless when <paramref name="Rejection"/> is set).</param>
/// <param name="Bytes">The file's content; empty when rejected.</param>
/// <param name="Rejection">Why the file is not usable, or null.</param>
public sealed record KaggleSourceFile(string Name, ImageSplit Split, ImageLabel Label, byte[] Bytes, ImportRejection? Rejection)
{
    internal static KaggleSourceFile Rejected(string name, string reason, InvalidImageReason? imageReason = null) =>
        new(name, default, default, [], new ImportRejection(name, reason, imageReason));
}

/// <summary>The size of an image the decoder accepted.</summary>
public readonly record struct ImageSize(int Width, int Height);

/// <summary>
/// Reads a data set in the Kaggle layout <c>split/LABEL/image</c> (split <c>train</c>, <c>val</c> or <c>test</c>;
/// label <c>NORMAL</c> or <c>PNEUMONIA</c>; case ignored) from a folder or a .zip, optionally under one extra
/// top-level folder such as <c>chest_xray/</c>, and checks images with the decoder. Shared by the file-catalogue
/// importer (<see cref="KaggleDatasetImporter"/>) and the grain-side importer, so both apply the same safety rules.
/// </summary>
/// <remarks>
/// Archives are untrusted: entry names are only parsed for their split and label (the store names files by hash),
/// links, odd attributes, <c>..</c> and absolute names are refused, and sizes are counted as bytes are read.
/// </remarks>
public sealed class KaggleDatasetReader
{
    private readonly XrayImageDecoder _decoder;
    private readonly KaggleImportOptions _options;

    /// <summary>Creates a reader that checks images with <paramref name="decoder"/> and applies the limits of <paramref name="options"/>.</summary>
    public KaggleDatasetReader(XrayImageDecoder decoder, KaggleImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        _decoder = decoder;
        _options = options ?? KaggleImportOptions.Default;
        _options.Validate();
    }

    /// <summary>
    /// The files of the folder or .zip at <paramref name="path"/>, read lazily one at a time (folders in ordinal
    /// path order, so which of two identical files comes first does not depend on the file system).
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">
    /// The input exceeds the entry-count limit (thrown before anything is read) or the total-size limit (thrown while
    /// enumerating), or is not a readable zip.
    /// </exception>
    public IEnumerable<KaggleSourceFile> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return Directory.Exists(path) ? ReadFolder(path)
            : File.Exists(path) ? ReadZip(path)
            : throw new FileNotFoundException($"No folder or .zip at {path}.", path);
    }

    /// <summary>Decodes the file to check it is a usable X-ray; returns its size, or null with the rejection.</summary>
    public ImageSize? Check(KaggleSourceFile file, out ImportRejection? rejection)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (file.Rejection is not null)
        {
            rejection = file.Rejection;
            return null;
        }

        try
        {
            using var image = _decoder.DecodeGrey(file.Bytes);
            rejection = null;
            return new ImageSize(image.Width, image.Height);
        }
        catch (InvalidImageException ex)
        {
            rejection = new ImportRejection(file.Name, ex.Message, ex.Reason);
            return null;
        }
    }

    // Sorted, so that which of two identical files is catalogued first does not depend on the file system.
    private IEnumerable<KaggleSourceFile> ReadFolder(string folder)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
        var paths = Directory.GetFiles(folder, "*", options);
        CheckEntryCount(paths.Length, folder);
        Array.Sort(paths, StringComparer.Ordinal);
        var budget = NewBudget(folder);
        foreach (var path in paths)
        {
            var name = Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/');
            yield return Read(name, () => File.OpenRead(path), budget);
        }
    }

    private IEnumerable<KaggleSourceFile> ReadZip(string zipPath)
    {
        using var archive = OpenZip(zipPath);
        CheckEntryCount(archive.Entries.Count, zipPath);
        var budget = NewBudget(zipPath);
        foreach (var entry in archive.Entries)
        {
            if (ArchiveSafety.IsFolder(entry))
            {
                continue;
            }

            var unsafeReason = ArchiveSafety.UnsafeEntryReason(entry);
            yield return unsafeReason is null
                ? Read(entry.FullName, entry.Open, budget)
                : KaggleSourceFile.Rejected(entry.FullName, unsafeReason);
        }
    }

    private static ZipArchive OpenZip(string zipPath)
    {
        try
        {
            return ZipFile.OpenRead(zipPath);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{zipPath} is neither a folder nor a readable .zip archive: {ex.Message}", ex);
        }
    }

    private void CheckEntryCount(int count, string path)
    {
        if (count > _options.MaxEntries)
        {
            throw new InvalidDataException($"{path} holds {count:N0} entries, over the limit of {_options.MaxEntries:N0}; nothing was imported.");
        }
    }

    private ByteBudget NewBudget(string path) =>
        new(_options.MaxTotalBytes, $"{path} holds more than {_options.MaxTotalBytes:N0} bytes, the limit for one import; the import stopped.");

    // Reads at most MaxFileBytes + 1 bytes, whatever size the entry declares, so a bomb costs little.
    private KaggleSourceFile Read(string name, Func<Stream> open, ByteBudget budget)
    {
        if (!TryParseLayout(name, out var layout))
        {
            return KaggleSourceFile.Rejected(name, "not in the split/LABEL/image layout (split train, val or test; label NORMAL or PNEUMONIA)");
        }

        var maxBytes = _decoder.Limits.MaxFileBytes;
        try
        {
            using var stream = open();
            var content = ArchiveSafety.ReadAtMost(stream, maxBytes, budget);
            if (content is null)
            {
                return KaggleSourceFile.Rejected(name, $"over the limit of {maxBytes:N0} bytes", InvalidImageReason.TooLarge);
            }

            return new KaggleSourceFile(name, layout.Split, layout.Label, content, null);
        }
        catch (InvalidDataException ex) when (!budget.IsExhausted)
        {
            return KaggleSourceFile.Rejected(name, $"damaged in the archive: {ex.Message}");
        }
    }

    private static bool TryParseLayout(string name, out (ImageSplit Split, ImageLabel Label) layout)
    {
        var segments = name.Split('/');
        var start = segments.Length - 3;
        if (start is 0 or 1 && SplitNames.TryParse(segments[start], out var split) && LabelNames.TryParse(segments[start + 1], out var label))
        {
            layout = (split, label);
            return true;
        }

        layout = default;
        return false;
    }
}
