namespace Pneumonia.Grains.Tests;

[Collection(GrainsClusterDefinition.Name)]
public sealed class DatasetGrainTests(GrainsClusterFixture fixture)
{
    [Fact]
    public async Task A_batch_records_accepted_duplicate_and_rejected_files_once_and_updates_the_counts()
    {
        var cluster = fixture.Cluster;
        var store = cluster.ImageStore();
        var dataset = cluster.Dataset();
        var before = await dataset.GetStatisticsAsync();
        var firstId = $"batch-{Guid.NewGuid():N}";
        var files = Uploads.Files("test", "NORMAL", 200, 4);
        var (a, b, c) = (
            await Uploads.CandidateAsync(store, files[0], ImageLabel.Normal, ImageSplit.Train, firstId),
            await Uploads.CandidateAsync(store, files[1], ImageLabel.Normal, ImageSplit.Train, firstId),
            await Uploads.CandidateAsync(store, files[2], ImageLabel.Pneumonia, ImageSplit.Train, firstId));
        var copyOfA = a with { OriginalName = "copy-of-a.jpeg" };
        var rejected = new UploadFileResult("notes.txt", UploadFileStatus.Rejected, null, ImageLabel.Normal, "NotAnImage");

        var batch = await dataset.AddBatchAsync(firstId, "upload", [a, b, copyOfA, c], [rejected], screen: null);

        Assert.Equal((3, 1, 1), (batch.Accepted, batch.Duplicates, batch.Rejected));
        Assert.Contains(a.OriginalName, batch.Files.Single(f => f.Status == UploadFileStatus.Duplicate).Reason, StringComparison.Ordinal);
        var afterFirst = await dataset.GetStatisticsAsync();
        Assert.Equal(before.TotalImages + 3, afterFirst.TotalImages);
        Assert.Equal(before.TotalBytes + a.SizeBytes + b.SizeBytes + c.SizeBytes, afterFirst.TotalBytes);
        Assert.Equal(Count(before, ImageSplit.Train, ImageLabel.Normal) + 2, Count(afterFirst, ImageSplit.Train, ImageLabel.Normal));
        Assert.Equal(Count(before, ImageSplit.Train, ImageLabel.Pneumonia) + 1, Count(afterFirst, ImageSplit.Train, ImageLabel.Pneumonia));
        var summary = afterFirst.Batches.Single(s => s.BatchId == firstId);
        Assert.Equal((3, 1, 1, 2, 1, 0), (summary.Accepted, summary.Duplicates, summary.Rejected, summary.AcceptedNormal, summary.AcceptedPneumonia, summary.AcceptedUnlabelled));

        // The same batch id again (a retried request) returns the first result and changes nothing.
        var again = await dataset.AddBatchAsync(firstId, "upload", [a, b, copyOfA, c], [rejected], screen: null);
        Assert.Equal(batch.CreatedAt, again.CreatedAt);
        Assert.Equal(batch.Files, again.Files);
        Assert.Equal(afterFirst.TotalImages, (await dataset.GetStatisticsAsync()).TotalImages);

        // A later batch with an image of the first one: a duplicate that does not name the earlier (maybe another user's) upload.
        var secondId = $"batch-{Guid.NewGuid():N}";
        var reupload = c with { Source = secondId, OriginalName = "again.jpeg", AddedAt = c.AddedAt.AddMinutes(1) };
        var unlabelled = await Uploads.CandidateAsync(store, files[3], null, ImageSplit.Train, secondId);
        var second = await dataset.AddBatchAsync(secondId, "upload", [reupload, unlabelled], [], screen: null);

        Assert.Equal((1, 1, 0), (second.Accepted, second.Duplicates, second.Rejected));
        var reason = second.Files.Single(f => f.Status == UploadFileStatus.Duplicate).Reason;
        Assert.Contains("already in the dataset", reason, StringComparison.Ordinal);
        Assert.DoesNotContain(firstId, reason, StringComparison.Ordinal);
        Assert.DoesNotContain(c.OriginalName, reason, StringComparison.Ordinal);
        Assert.Equal(firstId, (await cluster.Client.GetGrain<IImageGrain>(c.Sha256).GetAsync())!.Source);
        Assert.Equal(1, (await dataset.GetStatisticsAsync()).Batches.Single(s => s.BatchId == secondId).AcceptedUnlabelled);
        Assert.Equal([a, b, c], (await cluster.Client.GetGrain<IUploadBatchGrain>(firstId).ReadImagesAsync()).ToArray());

        var labelled = (await dataset.ReadLabelledImagesAsync()).Select(i => i.Sha256).ToHashSet();
        Assert.Superset(new HashSet<string> { a.Sha256, b.Sha256, c.Sha256 }, labelled);
        Assert.DoesNotContain(unlabelled.Sha256, labelled);
    }

    [Fact]
    public async Task The_base_data_set_importer_catalogues_a_kaggle_folder_as_one_idempotent_batch()
    {
        using var folder = new TempDirectory();
        foreach (var (split, label, skip) in new[] { ("train", "NORMAL", 600), ("train", "PNEUMONIA", 600), ("test", "PNEUMONIA", 300) })
        {
            Directory.CreateDirectory(folder.Combine(split, label));
            foreach (var file in Uploads.Files(split, label, skip, 2))
            {
                File.Copy(file, folder.Combine(split, label, Path.GetFileName(file)));
            }
        }

        await File.WriteAllTextAsync(folder.Combine("train", "NORMAL", "broken.jpeg"), "not a jpeg");
        await File.WriteAllTextAsync(folder.Combine("README.txt"), "outside the layout");
        var importer = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Dataset.BaseDatasetImporter>(fixture.Cluster.Services());

        var batch = await importer.ImportAsync(folder.Path);
        var again = await importer.ImportAsync(folder.Path);

        Assert.Equal((6, 0, 2), (batch.Accepted, batch.Duplicates, batch.Rejected));
        Assert.Equal("kermany", batch.Source);
        Assert.Equal(batch.BatchId, again.BatchId);
        Assert.Equal(batch.CreatedAt, again.CreatedAt);
        var images = await fixture.Cluster.Client.GetGrain<IUploadBatchGrain>(batch.BatchId).ReadImagesAsync();
        Assert.Equal(2, images.Count(i => i.Split == ImageSplit.Test && i.Label == ImageLabel.Pneumonia));
        Assert.All(images, i => Assert.True(i.Width > 0 && i.Height > 0));
    }

    private static int Count(DatasetStatistics statistics, ImageSplit split, ImageLabel? label) =>
        statistics.Counts.Where(c => c.Split == split && c.Label == label).Sum(c => c.Images);
}
