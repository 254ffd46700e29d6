using Pneumonia.Ml.Data;

namespace Pneumonia.Ml.Tests.Data;

public sealed class ImageCatalogueTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    internal static ImageRecord Entry(string hashSeed, ImageSplit split = ImageSplit.Train, ImageLabel? label = ImageLabel.Normal, string patient = "p1") =>
        new(ContentAddressedImageStore.HashOf(System.Text.Encoding.UTF8.GetBytes(hashSeed)), label, split, "kermany",
            $"{hashSeed}.jpeg", 1234, 224, 224, patient, new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Missing_file_loads_as_empty()
    {
        var catalogue = ImageCatalogue.Load(_temp.Combine("none.jsonl"));

        Assert.Empty(catalogue.Entries);
        Assert.Empty(catalogue.Counts());
    }

    [Fact]
    public void First_entry_for_a_hash_wins()
    {
        var catalogue = ImageCatalogue.Load(_temp.Combine("c.jsonl"));

        Assert.True(catalogue.TryAdd(Entry("a")));
        Assert.False(catalogue.TryAdd(Entry("a", ImageSplit.Test)));

        Assert.Equal(ImageSplit.Train, Assert.Single(catalogue.Entries).Split);
    }

    [Fact]
    public void Save_and_load_round_trip_as_camel_case_json_lines_with_enum_names()
    {
        var path = _temp.Combine("sub", "c.jsonl");
        var catalogue = ImageCatalogue.Load(path);
        catalogue.TryAdd(Entry("a"));
        catalogue.TryAdd(Entry("b", ImageSplit.Test, ImageLabel.Pneumonia, "p2"));
        catalogue.TryAdd(Entry("c", ImageSplit.Validation, label: null, "p3"));

        catalogue.Save();

        var lines = File.ReadAllLines(path);
        Assert.Equal(3, lines.Length);
        Assert.Contains("\"split\":\"Test\"", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"label\":\"Pneumonia\"", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"label\":null", lines[2], StringComparison.Ordinal);
        Assert.Equal(catalogue.Entries, ImageCatalogue.Load(path).Entries);
        Assert.Equal(["c.jsonl"], Directory.GetFiles(_temp.Combine("sub")).Select(Path.GetFileName));
    }

    [Fact]
    public void Counts_are_per_split_and_label()
    {
        var catalogue = ImageCatalogue.Load(_temp.Combine("c.jsonl"));
        catalogue.TryAdd(Entry("a"));
        catalogue.TryAdd(Entry("b"));
        catalogue.TryAdd(Entry("c", ImageSplit.Test, ImageLabel.Pneumonia));

        var counts = catalogue.Counts();

        Assert.Equal(2, counts[new SplitLabel(ImageSplit.Train, ImageLabel.Normal)]);
        Assert.Equal(1, counts[new SplitLabel(ImageSplit.Test, ImageLabel.Pneumonia)]);
        Assert.Equal(2, counts.Count);
    }

    [Fact]
    public void Snapshot_hash_depends_on_the_set_of_images_only()
    {
        ImageRecord[] entries = [Entry("a"), Entry("b"), Entry("c")];

        var snapshot = ImageCatalogue.SnapshotHash(entries);

        Assert.Matches("^[0-9a-f]{64}$", snapshot);
        Assert.Equal(snapshot, ImageCatalogue.SnapshotHash(entries.Reverse().Select(entry => entry with { Split = ImageSplit.Test })));
        Assert.NotEqual(snapshot, ImageCatalogue.SnapshotHash(entries[..2]));
    }

    [Fact]
    public void ReplaceAll_refuses_repeated_hashes_and_keeps_the_old_entries()
    {
        var catalogue = ImageCatalogue.Load(_temp.Combine("c.jsonl"));
        catalogue.TryAdd(Entry("a"));

        Assert.Throws<ArgumentException>(() => catalogue.ReplaceAll([Entry("b"), Entry("b")]));
        Assert.Equal([Entry("a")], catalogue.Entries);

        catalogue.ReplaceAll([Entry("a", ImageSplit.Validation)]);
        Assert.Equal(ImageSplit.Validation, Assert.Single(catalogue.Entries).Split);
        Assert.False(catalogue.TryAdd(Entry("a")));
    }

    [Fact]
    public void A_broken_line_is_reported_with_its_number()
    {
        var path = _temp.Combine("c.jsonl");
        File.WriteAllText(path, "{\"sha256\":\"x\"\n");

        var error = Assert.Throws<InvalidDataException>(() => ImageCatalogue.Load(path));

        Assert.Contains("line 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Lines_written_when_the_catalogue_had_its_own_entry_type_load_unchanged()
    {
        // Two lines as the CatalogueEntry/XrayLabel/DatasetSplit version of the command line wrote them.
        var path = _temp.Combine("old.jsonl");
        var hash = new string('d', 64);
        File.WriteAllText(path,
            $"{{\"sha256\":\"{hash}\",\"label\":\"Pneumonia\",\"split\":\"Validation\",\"source\":\"kermany\",\"originalName\":\"person1_virus_6.jpeg\",\"sizeBytes\":1234,\"width\":224,\"height\":200,\"patientId\":\"person1\",\"addedAt\":\"2026-11-26T10:00:00+00:00\"}}\n" +
            $"{{\"sha256\":\"{new string('e', 64)}\",\"label\":null,\"split\":\"Test\",\"source\":\"upload-1\",\"originalName\":\"x.png\",\"sizeBytes\":5,\"width\":64,\"height\":64,\"patientId\":\"x\",\"addedAt\":\"2026-11-26T10:00:00+00:00\"}}\n");

        var entries = ImageCatalogue.Load(path).Entries;

        Assert.Equal(
            new ImageRecord(hash, ImageLabel.Pneumonia, ImageSplit.Validation, "kermany", "person1_virus_6.jpeg", 1234, 224, 200, "person1", new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero)),
            entries[0]);
        Assert.Equal((null, ImageSplit.Test), (entries[1].Label, entries[1].Split));
    }
}
