using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Pneumonia.Ml.Data;

/// <summary>
/// A file-backed list of images for offline use (CLI, training): one <see cref="ImageRecord"/> per distinct image
/// hash, stored as JSON Lines. Not thread-safe; one writer at a time.
/// </summary>
public sealed class ImageCatalogue
{
    private readonly List<ImageRecord> _entries = [];
    private readonly Dictionary<string, int> _indexByHash = new(StringComparer.Ordinal);

    private ImageCatalogue(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Entries = _entries.AsReadOnly();
    }

    /// <summary>The JSON Lines file the catalogue is loaded from and saved to.</summary>
    public string Path { get; }

    /// <summary>The entries in the order they were added.</summary>
    public IReadOnlyList<ImageRecord> Entries { get; }

    /// <summary>Loads the catalogue at <paramref name="path"/>; a missing file is an empty catalogue.</summary>
    /// <exception cref="InvalidDataException">A line is not a valid entry, or a hash occurs twice.</exception>
    public static ImageCatalogue Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var catalogue = new ImageCatalogue(path);
        if (!File.Exists(catalogue.Path))
        {
            return catalogue;
        }

        var lineNumber = 0;
        foreach (var line in File.ReadLines(catalogue.Path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            ImageRecord? entry;
            try
            {
                entry = JsonSerializer.Deserialize(line, CatalogueJsonContext.Default.ImageRecord);
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{catalogue.Path} line {lineNumber} is not a catalogue entry: {ex.Message}", ex);
            }

            if (entry is null || !catalogue.TryAdd(entry))
            {
                throw new InvalidDataException($"{catalogue.Path} line {lineNumber} is empty or repeats an image hash.");
            }
        }

        return catalogue;
    }

    /// <summary>Whether an entry with this image hash exists.</summary>
    public bool Contains(string sha256) => _indexByHash.ContainsKey(sha256);

    /// <summary>Adds <paramref name="entry"/> unless its image hash is already catalogued (the first one wins).</summary>
    public bool TryAdd(ImageRecord entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!_indexByHash.TryAdd(entry.Sha256, _entries.Count))
        {
            return false;
        }

        _entries.Add(entry);
        return true;
    }

    /// <summary>
    /// Replaces every entry, e.g. with the result of <see cref="PatientGroupedSplitter.CarveValidation"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Two entries share an image hash; the catalogue is left unchanged.</exception>
    public void ReplaceAll(IEnumerable<ImageRecord> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var replacement = entries.ToList();
        var duplicate = replacement.CountBy(entry => entry.Sha256).FirstOrDefault(pair => pair.Value > 1).Key;
        if (duplicate is not null)
        {
            throw new ArgumentException($"Image {duplicate} occurs more than once.", nameof(entries));
        }

        _entries.Clear();
        _indexByHash.Clear();
        foreach (var entry in replacement)
        {
            TryAdd(entry);
        }
    }

    /// <summary>The number of entries per split and label.</summary>
    public IReadOnlyDictionary<SplitLabel, int> Counts() => SplitLabel.Count(_entries);

    /// <summary>
    /// Writes the catalogue to <see cref="Path"/> atomically: a temporary file beside it is flushed to disk and
    /// renamed over the old one, so a crash leaves either the old or the new catalogue, never a mix.
    /// </summary>
    public void Save()
    {
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        var tempPath = $"{Path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { SkipValidation = true });
                foreach (var entry in _entries)
                {
                    JsonSerializer.Serialize(writer, entry, CatalogueJsonContext.Default.ImageRecord);
                    writer.Flush();
                    stream.WriteByte((byte)'\n');
                    writer.Reset();
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(tempPath, Path, overwrite: true);
        }
        finally
        {
            File.Delete(tempPath);
        }
    }

    /// <summary>
    /// Identifies a set of images (a training set, say): the lower-case hex SHA-256 of their image hashes, sorted
    /// ordinally and joined by '\n'. Order and metadata of the entries do not change it.
    /// </summary>
    public static string SnapshotHash(IEnumerable<ImageRecord> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var hashes = entries.Select(entry => entry.Sha256).Order(StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', hashes))));
    }
}
