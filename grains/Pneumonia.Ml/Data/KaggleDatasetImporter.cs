using System.IO.Compression;
using Pneumonia.Ml.Images;

namespace Pneumonia.Ml.Data;

/// <summary>
/// Imports a data set in the Kaggle layout <c>split/LABEL/image</c> (split <c>train</c>, <c>val</c> or <c>test</c>;
/// label <c>NORMAL</c> or <c>PNEUMONIA</c>; case ignored) from a folder or a .zip, optionally under one extra
/// top-level folder such as <c>chest_xray/</c>. Every image is decoded to check it; bad files are reported and
/// skipped, the rest goes on. Importing the same data again changes nothing.
/// </summary>
/// <remarks>
/// Archives are untrusted: entry names are only parsed for their split and label (the store names files by hash),
/// links, odd attributes, <c>..</c> and absolute names are refused, and sizes are counted as bytes are read.
/// Not thread-safe, like the catalogue it fills.
/// </remarks>
public sealed class KaggleDatasetImporter
{
    private const int CopyBufferBytes = 81_920;
    private const int UnixFileTypeMask = 0xF000;
    private const int UnixRegularFile = 0x8000;
    private const int DosDirectoryOrVolume = 0x18;

    private readonly ContentAddressedImageStore _store;
    private readonly ImageCatalogue _catalogue;
    private readonly XrayImageDecoder _decoder;
    private readonly TimeProvider _time;
    private readonly KaggleImportOptions _options;

    /// <summary>Creates an importer that stores images in <paramref name="store"/> and lists them in <paramref name="catalogue"/>.</summary>
    public KaggleDatasetImporter(
        ContentAddressedImageStore store,
        ImageCatalogue catalogue,
        XrayImageDecoder decoder,
        TimeProvider time,
        KaggleImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _catalogue = catalogue;
        _decoder = decoder;
        _time = time;
        _options = options ?? KaggleImportOptions.Default;
        _options.Validate();
    }

    /// <summary>
    /// Imports the folder or .zip at <paramref name="path"/>, recording <paramref name="source"/> on each new entry.
    /// The catalogue is saved every <see cref="KaggleImportOptions.SaveEvery"/> images and at the end, also when
    /// the import stops on an error.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The input exceeds the entry-count or total-size limit, or is not a readable zip.</exception>
    public async Task<ImportReport> ImportAsync(string path, string source, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        var started = _time.GetTimestamp();
        var files = Directory.Exists(path) ? ReadFolder(path)
            : File.Exists(path) ? ReadZip(path)
            : throw new FileNotFoundException($"No folder or .zip at {path}.", path);

        var accepted = new List<CatalogueEntry>();
        var duplicates = new List<ImportDuplicate>();
        var rejected = new List<ImportRejection>();
        try
        {
            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (file.Rejection is not null)
                {
                    rejected.Add(file.Rejection);
                    continue;
                }

                var (split, label) = file.Layout;
                var hash = ContentAddressedImageStore.HashOf(file.Bytes);
                if (_catalogue.Contains(hash))
                {
                    duplicates.Add(new ImportDuplicate(file.Name, hash));
                    continue;
                }

                var entry = await TryStoreAsync(file, split, label, source, rejected, cancellationToken);
                if (entry is not null && _catalogue.TryAdd(entry))
                {
                    accepted.Add(entry);
                    if (accepted.Count % _options.SaveEvery == 0)
                    {
                        _catalogue.Save();
                    }
                }
            }
        }
        finally
        {
            _catalogue.Save();
        }

        return new ImportReport(accepted.Count, duplicates, rejected, SplitLabel.Count(accepted), _time.GetElapsedTime(started));
    }

    private async Task<CatalogueEntry?> TryStoreAsync(
        SourceFile file, DatasetSplit split, XrayLabel label, string source, List<ImportRejection> rejected, CancellationToken cancellationToken)
    {
        int width, height;
        try
        {
            using var image = _decoder.DecodeGrey(file.Bytes);
            (width, height) = (image.Width, image.Height);
        }
        catch (InvalidImageException ex)
        {
            rejected.Add(new ImportRejection(file.Name, ex.Message, ex.Reason));
            return null;
        }

        var stored = await _store.PutAsync(file.Bytes, cancellationToken);
        return new CatalogueEntry(
            stored.Sha256, label, split, source, file.Name, stored.SizeBytes, width, height,
            PatientId.FromFileName(file.Name), _time.GetUtcNow());
    }

    // Sorted, so that which of two identical files is catalogued first does not depend on the file system.
    private IEnumerable<SourceFile> ReadFolder(string folder)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint };
        var paths = Directory.GetFiles(folder, "*", options);
        CheckEntryCount(paths.Length, folder);
        Array.Sort(paths, StringComparer.Ordinal);
        var budget = new ByteBudget(_options.MaxTotalBytes, folder);
        foreach (var path in paths)
        {
            var name = Path.GetRelativePath(folder, path).Replace(Path.DirectorySeparatorChar, '/');
            yield return Read(name, () => File.OpenRead(path), budget);
        }
    }

    private IEnumerable<SourceFile> ReadZip(string zipPath)
    {
        using var archive = OpenZip(zipPath);
        CheckEntryCount(archive.Entries.Count, zipPath);
        var budget = new ByteBudget(_options.MaxTotalBytes, zipPath);
        foreach (var entry in archive.Entries)
        {
            if (entry.FullName.EndsWith('/') || entry.FullName.EndsWith('\\'))
            {
                continue;
            }

            var unsafeReason = UnsafeEntryReason(entry);
            yield return unsafeReason is null
                ? Read(entry.FullName, entry.Open, budget)
                : SourceFile.Rejected(entry.FullName, unsafeReason);
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

    private static string? UnsafeEntryReason(ZipArchiveEntry entry)
    {
        var name = entry.FullName;
        var segments = name.Split('/', '\\');
        if (name.StartsWith('/') || name.StartsWith('\\') || name.Contains(':', StringComparison.Ordinal) || segments.Contains(".."))
        {
            return "unsafe name in the archive (absolute, a drive, or '..')";
        }

        var unixFileType = (entry.ExternalAttributes >> 16) & UnixFileTypeMask;
        var isOddFile = (unixFileType != 0 && unixFileType != UnixRegularFile) || (entry.ExternalAttributes & DosDirectoryOrVolume) != 0;
        return isOddFile ? "not a regular file in the archive (a link, device or directory)" : null;
    }

    // Reads at most MaxFileBytes + 1 bytes, whatever size the entry declares, so a bomb costs little.
    private SourceFile Read(string name, Func<Stream> open, ByteBudget budget)
    {
        if (!TryParseLayout(name, out var layout))
        {
            return SourceFile.Rejected(name, "not in the split/LABEL/image layout (split train, val or test; label NORMAL or PNEUMONIA)");
        }

        var maxBytes = _decoder.Limits.MaxFileBytes;
        try
        {
            using var stream = open();
            using var content = new MemoryStream();
            var buffer = new byte[CopyBufferBytes];
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                budget.Spend(read);
                if (content.Length + read > maxBytes)
                {
                    return SourceFile.Rejected(name, $"over the limit of {maxBytes:N0} bytes", InvalidImageReason.TooLarge);
                }

                content.Write(buffer, 0, read);
            }

            return new SourceFile(name, layout, content.ToArray(), null);
        }
        catch (InvalidDataException ex) when (!budget.IsExhausted)
        {
            return SourceFile.Rejected(name, $"damaged in the archive: {ex.Message}");
        }
    }

    private static bool TryParseLayout(string name, out (DatasetSplit Split, XrayLabel Label) layout)
    {
        var segments = name.Split('/');
        var start = segments.Length - 3;
        if (start is 0 or 1 && TryParseSplit(segments[start], out var split) && LabelNames.TryParse(segments[start + 1], out var label))
        {
            layout = (split, label);
            return true;
        }

        layout = default;
        return false;
    }

    private static bool TryParseSplit(string folderName, out DatasetSplit split)
    {
        (var known, split) = folderName.ToUpperInvariant() switch
        {
            "TRAIN" => (true, DatasetSplit.Train),
            "VAL" => (true, DatasetSplit.Validation),
            "TEST" => (true, DatasetSplit.Test),
            _ => (false, default),
        };
        return known;
    }

    private sealed record SourceFile(string Name, (DatasetSplit Split, XrayLabel Label) Layout, byte[] Bytes, ImportRejection? Rejection)
    {
        public static SourceFile Rejected(string name, string reason, InvalidImageReason? imageReason = null) =>
            new(name, default, [], new ImportRejection(name, reason, imageReason));
    }

    private sealed class ByteBudget(long maxBytes, string path)
    {
        private long _spent;

        public bool IsExhausted => _spent > maxBytes;

        public void Spend(int bytes)
        {
            _spent += bytes;
            if (IsExhausted)
            {
                throw new InvalidDataException($"{path} holds more than {maxBytes:N0} bytes, the limit for one import; the import stopped.");
            }
        }
    }
}
