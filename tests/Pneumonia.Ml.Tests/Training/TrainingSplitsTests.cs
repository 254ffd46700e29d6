using Pneumonia.Ml.Data;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;

namespace Pneumonia.Ml.Tests.Training;

public sealed class TrainingSplitsTests
{
    [Fact]
    public async Task Stored_images_outside_todays_input_limits_are_left_out_instead_of_failing_the_run()
    {
        using var directory = new TempDirectory();
        var store = new ContentAddressedImageStore(directory.Combine("images"));
        var entries = new List<ImageRecord>();
        foreach (var (path, index) in TestData.Images("train", "NORMAL", 6).Concat(TestData.Images("train", "PNEUMONIA", 6)).Select((p, i) => (p, i)))
        {
            var stored = await store.PutAsync(File.ReadAllBytes(path), CancellationToken.None);
            entries.Add(Entry(stored.Sha256, path.Contains("PNEUMONIA", StringComparison.Ordinal) ? ImageLabel.Pneumonia : ImageLabel.Normal, 224, 224, $"p{index}"));
        }

        // A 1 x 1 grey JPEG accepted into the training set before the size limits existed.
        using var dot = new Image<L8>(1, 1, new L8(128));
        using var encoded = new MemoryStream();
        dot.Save(encoded, new JpegEncoder());
        var tiny = await store.PutAsync(encoded.ToArray(), CancellationToken.None);
        entries.Add(Entry(tiny.Sha256, ImageLabel.Pneumonia, 1, 1, "tiny"));

        var preprocessor = new XrayPreprocessor(PreprocessingParameters.Default with { InputSize = 32 }, new XrayImageDecoder());
        using var splits = TrainingSplits.Load(entries, store, preprocessor, validationFraction: 0.2, splitSeed: 17);

        Assert.Equal(12, splits.Train.Count + splits.Validation.Count);
        Assert.DoesNotContain(splits.Train.Images.Concat(splits.Validation.Images), i => i.ImageId == tiny.Sha256);
        Assert.Contains("1 labelled images outside the input size limits left out", splits.Snapshot.Description, StringComparison.Ordinal);
    }

    private static ImageRecord Entry(string sha256, ImageLabel label, int width, int height, string patient) =>
        new(sha256, label, ImageSplit.Train, "test", patient, 0, width, height, patient, DateTimeOffset.UnixEpoch);
}
