using Pneumonia.Ml.Data;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Training;

namespace Pneumonia.Ml.Tests.Training;

public sealed class TrainingSplitsProgressTests
{
    [Fact]
    public async Task Decoding_the_splits_reports_images_done_of_all_three_up_to_the_total()
    {
        using var directory = new TempDirectory();
        var store = new ContentAddressedImageStore(directory.Combine("images"));
        var entries = new List<ImageRecord>();
        foreach (var (split, folder, count) in new[] { (ImageSplit.Train, "train", 70), (ImageSplit.Test, "test", 10) })
        {
            foreach (var (label, name) in new[] { (ImageLabel.Normal, "NORMAL"), (ImageLabel.Pneumonia, "PNEUMONIA") })
            {
                foreach (var file in TestData.Images(folder, name, count))
                {
                    var stored = await store.PutAsync(await File.ReadAllBytesAsync(file), CancellationToken.None);
                    var fileName = Path.GetFileName(file);
                    entries.Add(new ImageRecord(stored.Sha256, label, split, "kermany", fileName, stored.SizeBytes, 0, 0, PatientId.FromFileName(fileName), DateTimeOffset.UnixEpoch));
                }
            }
        }

        var reports = new List<(int Done, int Total)>();
        var preprocessor = new XrayPreprocessor(PreprocessingParameters.Default with { InputSize = 32 }, new XrayImageDecoder());
        using var splits = TrainingSplits.Load(entries, store, preprocessor, 0.1, 17, decoded: (done, total) => { lock (reports) reports.Add((done, total)); });

        var total = splits.Train.Count + splits.Validation.Count + splits.Test.Count;
        Assert.All(reports, r => Assert.Equal(total, r.Total));
        Assert.All(reports, r => Assert.InRange(r.Done, 1, total));
        Assert.Contains((total, total), reports);
        Assert.True(reports.Count >= 3, $"{reports.Count} reports for {total} images");
    }
}
