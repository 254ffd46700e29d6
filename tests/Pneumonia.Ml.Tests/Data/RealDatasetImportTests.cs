using System.Diagnostics;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Images;
using Xunit.Abstractions;

namespace Pneumonia.Ml.Tests.Data;

/// <summary>Imports the whole Kermany data set (5,856 images) and checks what is known about it.</summary>
public sealed class RealDatasetImportTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Whole_dataset_imports_with_its_30_duplicate_groups_and_splits_by_patient()
    {
        var store = new ContentAddressedImageStore(_temp.Combine("store"));
        var catalogue = ImageCatalogue.Load(_temp.Combine("catalogue.jsonl"));
        var importer = new KaggleDatasetImporter(store, catalogue, new XrayImageDecoder(), TimeProvider.System);

        var clock = Stopwatch.StartNew();
        var report = await importer.ImportAsync(TestData.ChestXrayRoot, "kermany", CancellationToken.None);
        output.WriteLine($"import: {clock.Elapsed.TotalSeconds:F1} s, {report.Accepted} accepted, {report.Duplicates.Count} duplicates");

        // README.txt and manifest.csv sit outside the split/LABEL layout.
        Assert.Equal(["README.txt", "manifest.csv"], report.Rejected.Select(rejection => rejection.Name).Order(StringComparer.Ordinal));
        Assert.Equal(5856, report.Accepted + report.Duplicates.Count);
        Assert.Equal(30, report.Duplicates.Select(duplicate => duplicate.Sha256).Distinct().Count());
        Assert.Equal(32, report.Duplicates.Count);
        Assert.Equal(5824, store.EnumerateHashes().Count());
        Assert.Equal(8, report.AcceptedCounts[new SplitLabel(ImageSplit.Validation, ImageLabel.Normal)]);
        Assert.Equal(catalogue.Entries, ImageCatalogue.Load(catalogue.Path).Entries);
        foreach (var (key, count) in report.AcceptedCounts.OrderBy(pair => pair.Key.Split).ThenBy(pair => pair.Key.Label))
        {
            output.WriteLine($"{key}: {count}");
        }

        var official = PatientGroupedSplitter.FindSharedPatients(catalogue.Entries);
        output.WriteLine($"patients shared by official splits: {official.Count}, e.g. {string.Join(", ", official.Take(5).Select(p => $"{p.PatientId} [{string.Join('+', p.Splits)}]"))}");
        Assert.All(official, patient => Assert.Equal([ImageSplit.Train, ImageSplit.Test], patient.Splits));

        var split = PatientGroupedSplitter.CarveValidation(catalogue.Entries);
        var shared = PatientGroupedSplitter.FindSharedPatients(split);
        Assert.DoesNotContain(shared, patient => patient.Splits.Contains(ImageSplit.Validation));
        Assert.Equal(catalogue.Entries.Where(e => e.Split == ImageSplit.Test), split.Where(e => e.Split == ImageSplit.Test));
        catalogue.ReplaceAll(split);
        foreach (var (key, count) in catalogue.Counts().OrderBy(pair => pair.Key.Split).ThenBy(pair => pair.Key.Label))
        {
            output.WriteLine($"after carving: {key}: {count}");
        }

        output.WriteLine($"train snapshot: {ImageCatalogue.SnapshotHash(split.Where(e => e.Split == ImageSplit.Train))}");
        output.WriteLine($"total: {clock.Elapsed.TotalSeconds:F1} s");
    }
}
