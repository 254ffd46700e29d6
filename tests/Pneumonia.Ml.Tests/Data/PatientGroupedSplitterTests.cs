using Pneumonia.Ml.Data;

namespace Pneumonia.Ml.Tests.Data;

public sealed class PatientGroupedSplitterTests
{
    private static readonly IReadOnlyList<ImageRecord> Entries = MakeEntries();

    [Fact]
    public void Carves_about_the_fraction_per_label_by_whole_patients()
    {
        var result = PatientGroupedSplitter.CarveValidation(Entries, fraction: 0.2);

        Assert.Empty(PatientGroupedSplitter.FindSharedPatients(result));
        foreach (var label in new[] { ImageLabel.Normal, ImageLabel.Pneumonia })
        {
            var train = Entries.Count(entry => entry.Split == ImageSplit.Train && entry.Label == label);
            var moved = result.Count(entry => entry.Split == ImageSplit.Validation && entry.Label == label);
            Assert.InRange(moved, 0.2 * train, (0.2 * train) + 3);
        }
    }

    [Fact]
    public void Is_deterministic_and_depends_on_the_seed()
    {
        var first = PatientGroupedSplitter.CarveValidation(Entries);

        Assert.Equal(first, PatientGroupedSplitter.CarveValidation(Entries));
        Assert.NotEqual(ValidationPatients(first), ValidationPatients(PatientGroupedSplitter.CarveValidation(Entries, seed: 18)));
    }

    [Fact]
    public void Test_entries_never_move_and_patients_with_test_images_stay_in_train()
    {
        ImageRecord[] entries =
        [
            ImageCatalogueTests.Entry("t1", ImageSplit.Train, patient: "shared"),
            ImageCatalogueTests.Entry("t2", ImageSplit.Test, patient: "shared"),
            ImageCatalogueTests.Entry("t3", ImageSplit.Test, patient: "test-only"),
        ];

        var result = PatientGroupedSplitter.CarveValidation(entries, fraction: 0.99);

        Assert.Equal(entries, result);
        var shared = Assert.Single(PatientGroupedSplitter.FindSharedPatients(result));
        Assert.Equal("shared", shared.PatientId);
        Assert.Equal([ImageSplit.Train, ImageSplit.Test], shared.Splits);
    }

    [Fact]
    public void A_patient_in_train_and_official_validation_moves_wholly_to_validation()
    {
        ImageRecord[] entries =
        [
            ImageCatalogueTests.Entry("a", ImageSplit.Train, patient: "p"),
            ImageCatalogueTests.Entry("b", ImageSplit.Validation, patient: "p"),
        ];

        var result = PatientGroupedSplitter.CarveValidation(entries, fraction: 0);

        Assert.All(result, entry => Assert.Equal(ImageSplit.Validation, entry.Split));
    }

    private static HashSet<string> ValidationPatients(IEnumerable<ImageRecord> entries) =>
        entries.Where(entry => entry.Split == ImageSplit.Validation).Select(entry => entry.PatientId).ToHashSet();

    // 300 patients with 1-3 images each; a third normal.
    private static List<ImageRecord> MakeEntries()
    {
        var random = new Random(11);
        return Enumerable.Range(0, 300)
            .SelectMany(patient => Enumerable.Range(0, random.Next(1, 4)).Select(image =>
                ImageCatalogueTests.Entry($"{patient}-{image}", ImageSplit.Train, patient % 3 == 0 ? ImageLabel.Normal : ImageLabel.Pneumonia, $"person{patient}")))
            .ToList();
    }
}
