using Pneumonia.Ml.Data;

namespace Pneumonia.Grains.Tests;

/// <summary>Builds upload candidates from the real data set the way the API does: bytes into the store first.</summary>
internal static class Uploads
{
    private static readonly DateTimeOffset AddedAt = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Real images from one split/label folder of the shared data, skipping the first <paramref name="skip"/>.</summary>
    public static IReadOnlyList<string> Files(string split, string label, int skip, int take) =>
        TestData.Images(split, label, skip + take).Skip(skip).ToList();

    public static async Task<ImageRecord> CandidateAsync(ContentAddressedImageStore store, string file, ImageLabel? label, ImageSplit split, string source)
    {
        var stored = await store.PutAsync(await File.ReadAllBytesAsync(file), CancellationToken.None);
        var name = Path.GetFileName(file);
        return new ImageRecord(stored.Sha256, label, split, source, name, stored.SizeBytes, 0, 0, PatientId.FromFileName(name), AddedAt);
    }

    /// <summary>
    /// A labelled training batch: per label <paramref name="train"/> train and <paramref name="validation"/> validation
    /// images (both from the train folder: val holds only 8 per label) and <paramref name="test"/> test images, from
    /// offset <paramref name="skip"/> in each folder, so tests that use different offsets upload different images.
    /// </summary>
    public static async Task<UploadBatch> AddTrainingBatchAsync(this Orleans.TestingHost.InProcessTestCluster cluster, int skip, int train = 12, int validation = 4, int test = 4)
    {
        var store = cluster.ImageStore();
        var batchId = $"batch-{Guid.NewGuid():N}";
        var candidates = new List<ImageRecord>();
        var parts = new[] { ("train", ImageSplit.Train, skip, train), ("train", ImageSplit.Validation, skip + train, validation), ("test", ImageSplit.Test, skip, test) };
        foreach (var (folder, split, offset, count) in parts)
        {
            foreach (var (labelFolder, label) in new[] { ("NORMAL", ImageLabel.Normal), ("PNEUMONIA", ImageLabel.Pneumonia) })
            {
                foreach (var file in Files(folder, labelFolder, offset, count))
                {
                    candidates.Add(await CandidateAsync(store, file, label, split, batchId));
                }
            }
        }

        return await cluster.Dataset().AddBatchAsync(batchId, batchId, candidates, [], screen: null);
    }
}
