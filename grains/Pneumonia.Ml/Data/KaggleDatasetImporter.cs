using Pneumonia.Ml.Images;

namespace Pneumonia.Ml.Data;

/// <summary>
/// Imports a data set in the Kaggle layout (see <see cref="KaggleDatasetReader"/>) into a file catalogue. Every image
/// is decoded to check it; bad files are reported and skipped, the rest goes on. Importing the same data again
/// changes nothing.
/// </summary>
/// <remarks>Not thread-safe, like the catalogue it fills.</remarks>
public sealed class KaggleDatasetImporter
{
    private readonly ContentAddressedImageStore _store;
    private readonly ImageCatalogue _catalogue;
    private readonly KaggleDatasetReader _reader;
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
        _time = time;
        _options = options ?? KaggleImportOptions.Default;
        _reader = new KaggleDatasetReader(decoder, _options);
    }

    /// <summary>
    /// Imports the folder or .zip at <paramref name="path"/>, recording <paramref name="source"/> on each new entry.
    /// The catalogue is saved every <see cref="KaggleImportOptions.SaveEvery"/> images and at the end, also when
    /// the import stops on an error.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The input exceeds the entry-count or total-size limit, or is not a readable zip.</exception>
    public Task<ImportReport> ImportAsync(string path, string source, CancellationToken cancellationToken) =>
        ImportAsync(path, source, progress: null, cancellationToken);

    /// <inheritdoc cref="ImportAsync(string, string, CancellationToken)"/>
    /// <param name="progress">Told the number of files read so far (accepted, duplicate or rejected) after each one.</param>
    public async Task<ImportReport> ImportAsync(string path, string source, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        var started = _time.GetTimestamp();
        var files = _reader.Read(path);

        var accepted = new List<ImageRecord>();
        var duplicates = new List<ImportDuplicate>();
        var rejected = new List<ImportRejection>();
        try
        {
            var read = 0;
            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(++read);
                if (file.Rejection is not null)
                {
                    rejected.Add(file.Rejection);
                    continue;
                }

                var hash = ContentAddressedImageStore.HashOf(file.Bytes);
                if (_catalogue.Contains(hash))
                {
                    duplicates.Add(new ImportDuplicate(file.Name, hash));
                    continue;
                }

                // Decoded only when new: re-importing a large data set stays a hashing pass.
                if (_reader.Check(file, out var rejection) is not { } size)
                {
                    rejected.Add(rejection!);
                    continue;
                }

                var stored = await _store.PutAsync(file.Bytes, cancellationToken);
                var entry = new ImageRecord(
                    stored.Sha256, file.Label, file.Split, source, file.Name, stored.SizeBytes, size.Width, size.Height,
                    PatientId.FromFileName(file.Name), _time.GetUtcNow());
                if (_catalogue.TryAdd(entry))
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
}
