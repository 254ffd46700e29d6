using System.IO.Compression;
using Microsoft.Extensions.Time.Testing;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Images;

namespace Pneumonia.Ml.Tests.Data;

public sealed class KaggleDatasetImporterTests : IDisposable
{
    private static readonly XrayImageDecoder Decoder = new();

    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Progress_counts_every_file_read_in_order()
    {
        var folder = MakeSmallDataset();
        var (_, _, importer) = NewImporter();
        var reported = new List<int>();

        var report = await importer.ImportAsync(folder, "kermany", new Reports(reported), CancellationToken.None);

        Assert.Equal(Enumerable.Range(1, report.Accepted + report.Duplicates.Count + report.Rejected.Count), reported);
    }

    [Fact]
    public async Task Imports_a_small_folder_with_bad_files_and_a_duplicate()
    {
        var folder = MakeSmallDataset();
        var (store, catalogue, importer) = NewImporter();

        var report = await importer.ImportAsync(folder, "kermany", CancellationToken.None);

        AssertSmallDatasetReport(report, prefix: "");
        Assert.Equal(20, catalogue.Entries.Count);
        Assert.Equal(20, store.EnumerateHashes().Count());
        Assert.Equal(20, ImageCatalogue.Load(catalogue.Path).Entries.Count);
        var entry = catalogue.Entries.Single(e => e.OriginalName == "train/PNEUMONIA/" + Path.GetFileName(TestData.Images("train", "PNEUMONIA", 1)[0]));
        Assert.Equal((ImageLabel.Pneumonia, ImageSplit.Train, "kermany", 224, 224), (entry.Label, entry.Split, entry.Source, entry.Width, entry.Height));
        Assert.Equal(PatientId.FromFileName(entry.OriginalName), entry.PatientId);
        Assert.Equal(_time.GetUtcNow(), entry.AddedAt);
        Assert.True(await store.VerifyAsync(entry.Sha256));
    }

    [Fact]
    public async Task Imports_the_same_data_from_a_zip_with_a_top_level_folder_and_reimport_changes_nothing()
    {
        var zip = Zip(MakeSmallDataset(), "chest_xray/");
        var (store, catalogue, importer) = NewImporter();
        AssertSmallDatasetReport(await importer.ImportAsync(zip, "kermany", CancellationToken.None), prefix: "chest_xray/");
        var catalogueBytes = await File.ReadAllBytesAsync(catalogue.Path);
        var storedFiles = Directory.GetFiles(store.RootDirectory, "*", SearchOption.AllDirectories);
        _time.Advance(TimeSpan.FromHours(1));

        var again = await new KaggleDatasetImporter(store, ImageCatalogue.Load(catalogue.Path), Decoder, _time)
            .ImportAsync(zip, "kermany", CancellationToken.None);

        Assert.Equal(0, again.Accepted);
        Assert.Equal(21, again.Duplicates.Count);
        Assert.Equal(5, again.Rejected.Count);
        Assert.Equal(catalogueBytes, await File.ReadAllBytesAsync(catalogue.Path));
        Assert.Equal(storedFiles, Directory.GetFiles(store.RootDirectory, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Zip_entries_with_unsafe_names_or_links_are_rejected_and_nothing_lands_outside_the_store()
    {
        var image = await File.ReadAllBytesAsync(TestData.Images("train", "NORMAL", 1)[0]);
        var zip = _temp.Combine("evil.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            AddEntry(archive, "../evil.jpeg", image);
            AddEntry(archive, "train/NORMAL/../../../evil2.jpeg", image);
            AddEntry(archive, "/tmp/train/NORMAL/evil3.jpeg", image);
            AddEntry(archive, "C:/train/NORMAL/evil4.jpeg", image);
            AddEntry(archive, "train/NORMAL/link.jpeg", image).ExternalAttributes = unchecked((int)0xA1FF0000);
            AddEntry(archive, "train/NORMAL/good.jpeg", image);
        }

        var (store, catalogue, importer) = NewImporter();
        var report = await importer.ImportAsync(zip, "upload-1", CancellationToken.None);

        Assert.Equal(1, report.Accepted);
        Assert.Equal("train/NORMAL/good.jpeg", Assert.Single(catalogue.Entries).OriginalName);
        Assert.Equal(
            ["../evil.jpeg", "train/NORMAL/../../../evil2.jpeg", "/tmp/train/NORMAL/evil3.jpeg", "C:/train/NORMAL/evil4.jpeg", "train/NORMAL/link.jpeg"],
            report.Rejected.Select(rejection => rejection.Name));
        Assert.All(report.Rejected.Take(4), rejection => Assert.StartsWith("unsafe name", rejection.Reason, StringComparison.Ordinal));
        Assert.StartsWith("not a regular file", report.Rejected[4].Reason, StringComparison.Ordinal);
        Assert.Equal(
            new[] { zip, catalogue.Path, store.PathOf(catalogue.Entries[0].Sha256) }.Order(StringComparer.Ordinal),
            Directory.GetFiles(_temp.Path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_temp.Path)!, "evil.jpeg")));
    }

    [Fact]
    public async Task Sizes_are_counted_as_read_per_entry_and_in_total_and_entries_are_capped()
    {
        var images = TestData.Images("test", "NORMAL", 3).Select(File.ReadAllBytes).ToList();
        var zip = _temp.Combine("sizes.zip");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            AddEntry(archive, "test/NORMAL/big.jpeg", [.. images[0], .. new byte[50_000]]);
            AddEntry(archive, "test/NORMAL/a.jpeg", images[1]);
            AddEntry(archive, "test/NORMAL/b.jpeg", images[2]);
        }

        var small = new XrayImageDecoder(new ImageLimits(MaxFileBytes: 40_000));
        var report = await new KaggleDatasetImporter(NewStore(), NewCatalogue(), small, _time).ImportAsync(zip, "s", CancellationToken.None);
        var tooLarge = Assert.Single(report.Rejected);
        Assert.Equal(("test/NORMAL/big.jpeg", InvalidImageReason.TooLarge), (tooLarge.Name, tooLarge.ImageReason));
        Assert.Equal(2, report.Accepted);

        var totalCap = new KaggleDatasetImporter(NewStore(), NewCatalogue(), Decoder, _time, new KaggleImportOptions(MaxTotalBytes: 60_000));
        await Assert.ThrowsAsync<InvalidDataException>(() => totalCap.ImportAsync(zip, "s", CancellationToken.None));

        var entryCap = new KaggleDatasetImporter(NewStore(), NewCatalogue(), Decoder, _time, new KaggleImportOptions(MaxEntries: 2));
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => entryCap.ImportAsync(zip, "s", CancellationToken.None));
        Assert.Contains("3 entries, over the limit of 2", error.Message, StringComparison.Ordinal);
    }

    private (ContentAddressedImageStore Store, ImageCatalogue Catalogue, KaggleDatasetImporter Importer) NewImporter()
    {
        var store = NewStore();
        var catalogue = NewCatalogue();
        return (store, catalogue, new KaggleDatasetImporter(store, catalogue, Decoder, _time));
    }

    private ContentAddressedImageStore NewStore() => new(_temp.Combine("store-" + Guid.NewGuid().ToString("N")));

    private ImageCatalogue NewCatalogue() => ImageCatalogue.Load(_temp.Combine("catalogue-" + Guid.NewGuid().ToString("N") + ".jsonl"));

    // 20 real images (3+3 per label in train and test, 2+2 in val), a duplicate, and five bad files.
    private string MakeSmallDataset()
    {
        var root = _temp.Combine("kaggle");
        foreach (var (split, count) in new[] { ("train", 3), ("val", 2), ("test", 5) })
        {
            foreach (var label in new[] { "NORMAL", "PNEUMONIA" })
            {
                var target = Directory.CreateDirectory(Path.Combine(root, split, label)).FullName;
                foreach (var image in TestData.Images(split, label, count))
                {
                    File.Copy(image, Path.Combine(target, Path.GetFileName(image)));
                }
            }
        }

        var normal = TestData.Images("train", "NORMAL", 1)[0];
        var bytes = File.ReadAllBytes(normal);
        File.Copy(normal, Path.Combine(root, "train", "NORMAL", "zz-duplicate.jpeg"));
        File.WriteAllBytes(Path.Combine(root, "train", "NORMAL", "truncated.jpeg"), bytes[..(bytes.Length / 2)]);
        File.WriteAllBytes(Path.Combine(root, "train", "NORMAL", "empty.jpeg"), []);
        File.WriteAllText(Path.Combine(root, "train", "PNEUMONIA", "notes.txt"), "radiologist notes");
        File.WriteAllBytes(Path.Combine(root, "test", "PNEUMONIA", "corrupt.jpeg"), [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, .. new byte[200]]);
        File.WriteAllText(Path.Combine(root, "README.txt"), "outside the layout");
        return root;
    }

    private static void AssertSmallDatasetReport(ImportReport report, string prefix)
    {
        Assert.Equal(20, report.Accepted);
        Assert.Equal($"{prefix}train/NORMAL/zz-duplicate.jpeg", Assert.Single(report.Duplicates).Name);
        var rejected = report.Rejected.ToDictionary(rejection => rejection.Name[prefix.Length..], rejection => rejection.ImageReason);
        Assert.Equal(
            new Dictionary<string, InvalidImageReason?>
            {
                ["README.txt"] = null,
                ["test/PNEUMONIA/corrupt.jpeg"] = InvalidImageReason.Corrupt,
                ["train/NORMAL/empty.jpeg"] = InvalidImageReason.Empty,
                ["train/NORMAL/truncated.jpeg"] = InvalidImageReason.Corrupt,
                ["train/PNEUMONIA/notes.txt"] = InvalidImageReason.NotAnImage,
            },
            rejected);
        Assert.All(report.Rejected, rejection => Assert.False(string.IsNullOrWhiteSpace(rejection.Reason)));
        Assert.Equal(3, report.AcceptedCounts[new SplitLabel(ImageSplit.Train, ImageLabel.Normal)]);
        Assert.Equal(2, report.AcceptedCounts[new SplitLabel(ImageSplit.Validation, ImageLabel.Pneumonia)]);
        Assert.Equal(5, report.AcceptedCounts[new SplitLabel(ImageSplit.Test, ImageLabel.Pneumonia)]);
    }

    private string Zip(string folder, string topLevel)
    {
        var zip = _temp.Combine("kaggle.zip");
        using var archive = ZipFile.Open(zip, ZipArchiveMode.Create);
        archive.CreateEntry(topLevel);
        foreach (var file in Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            archive.CreateEntryFromFile(file, topLevel + Path.GetRelativePath(folder, file).Replace('\\', '/'));
        }

        return zip;
    }

    private static ZipArchiveEntry AddEntry(ZipArchive archive, string name, byte[] bytes)
    {
        var entry = archive.CreateEntry(name);
        using var stream = entry.Open();
        stream.Write(bytes);
        return entry;
    }

    private sealed class Reports(List<int> reported) : IProgress<int>
    {
        public void Report(int value) => reported.Add(value);
    }
}
