namespace Pneumonia.Grains.Tests;

/// <summary>
/// The gate set as the dataset grain owns it: held out of training when a batch arrives, versioned, and left out (with
/// the rest of the batch) while the label screen holds a batch; and the checks a retrain must pass before it starts.
/// </summary>
[Collection(GrainsClusterDefinition.Name)]
public sealed class GateSetTests(GrainsClusterFixture fixture)
{
    [Fact]
    public async Task A_batch_gives_a_share_of_its_training_patients_to_the_gate_and_never_trains_on_them()
    {
        var dataset = fixture.Cluster.Dataset();
        var before = await dataset.ReadGateSetAsync();

        var batch = await fixture.Cluster.AddTrainingBatchAsync(skip: 700, train: 20, validation: 4, test: 4);

        var gate = await dataset.ReadGateSetAsync();
        var images = await fixture.Cluster.Client.GetGrain<IUploadBatchGrain>(batch.BatchId).ReadImagesAsync();
        var added = gate.Images.Select(i => i.Sha256).Except(before.Images.Select(i => i.Sha256)).ToHashSet();
        var training = (await dataset.ReadTrainingImagesAsync()).Select(i => i.Sha256).ToHashSet();
        Assert.Equal(before.Version + 1, gate.Version);
        // Only training images join the gate (validation and test images keep their roles); every image is on one side only.
        Assert.All(images.Where(i => i.Split != ImageSplit.Train), i => Assert.DoesNotContain(i.Sha256, added));
        Assert.All(images, i => Assert.True(added.Contains(i.Sha256) != training.Contains(i.Sha256), $"{i.OriginalName} is in both or neither"));
        // A share of the training patients (half, with the test settings), whole patients at a time.
        var trainImages = images.Where(i => i.Split == ImageSplit.Train).ToList();
        var heldOut = trainImages.Count(i => added.Contains(i.Sha256));
        Assert.InRange(heldOut, 1, trainImages.Count - 1);
        Assert.All(trainImages.GroupBy(i => i.PatientId), patient => Assert.Single(patient.Select(i => added.Contains(i.Sha256)).Distinct()));

        var statistics = await dataset.GetStatisticsAsync();
        Assert.Equal(gate.Version, statistics.GateSet!.Version);
        Assert.Equal(gate.Images.Count(i => i.Label == ImageLabel.Normal), statistics.GateSet.Normal);
        Assert.Equal(added.Count, statistics.Batches.Single(b => b.BatchId == batch.BatchId).GateImages);
    }

    [Fact]
    public async Task A_batch_the_label_screen_holds_is_neither_trained_on_nor_in_the_gate_until_a_person_confirms_it()
    {
        var dataset = fixture.Cluster.Dataset();
        var store = fixture.Cluster.ImageStore();
        var batchId = $"held-{Guid.NewGuid():N}";
        var candidates = new List<ImageRecord>();
        foreach (var (folder, label) in new[] { ("NORMAL", ImageLabel.Pneumonia), ("PNEUMONIA", ImageLabel.Normal) })
        {
            foreach (var file in Uploads.Files("train", folder, 800, 10))
            {
                candidates.Add(await Uploads.CandidateAsync(store, file, label, ImageSplit.Train, batchId));
            }
        }

        var checks = candidates.Select(c => new LabelCheck(c.Sha256, c.Label == ImageLabel.Normal ? 0.99 : 0.01, Disputed: true)).ToList();
        var screen = new LabelScreen(new LabelScreenSummary("model", checks.Count, checks.Count, 0.05, Held: true, "held: swapped?"), checks);
        var readinessBefore = await dataset.GetTrainingReadinessAsync();
        var gateBefore = await dataset.ReadGateSetAsync();

        var batch = await dataset.AddBatchAsync(batchId, batchId, candidates, [], screen);

        Assert.True(batch.Screen!.Held);
        Assert.All(batch.Files, f => Assert.True(f.Disputed));
        Assert.Equal(0.99, batch.Files.First(f => f.Label == ImageLabel.Normal).ModelProbability);
        var hashes = candidates.Select(c => c.Sha256).ToHashSet();
        Assert.DoesNotContain((await dataset.ReadTrainingImagesAsync()), i => hashes.Contains(i.Sha256));
        Assert.Equal(gateBefore, await dataset.ReadGateSetAsync(), GateSetComparer.Instance);
        var readiness = await dataset.GetTrainingReadinessAsync();
        Assert.Equal((readinessBefore.TrainNormal, readinessBefore.TrainPneumonia), (readiness.TrainNormal, readiness.TrainPneumonia));
        Assert.Equal(readinessBefore.HeldOutImages + candidates.Count, readiness.HeldOutImages);
        Assert.Equal(BatchTrainingUse.HeldForReview, (await dataset.GetStatisticsAsync()).Batches.Single(b => b.BatchId == batchId).TrainingUse);

        var confirmed = await dataset.ConfirmBatchAsync(batchId);

        Assert.Equal(BatchTrainingUse.Confirmed, confirmed!.TrainingUse);
        var used = (await dataset.ReadTrainingImagesAsync()).Select(i => i.Sha256).ToHashSet();
        var gate = await dataset.ReadGateSetAsync();
        Assert.All(hashes, h => Assert.True(used.Contains(h) ^ gate.Images.Any(i => i.Sha256 == h)));
        Assert.True(gate.Version > gateBefore.Version || confirmed.GateImages == 0);
        Assert.Null(await dataset.ConfirmBatchAsync("no-such-batch"));
    }

    [Fact]
    public async Task A_retrain_waits_for_the_base_data_import_and_needs_enough_images_of_each_class()
    {
        var dataset = fixture.Cluster.Dataset();
        var coordinator = fixture.Cluster.Coordinator();
        try
        {
            await dataset.SetBaseDataStatusAsync(new BaseDataStatus(BaseDataState.Importing, "/data", "The base data set at /data is being imported.", DateTimeOffset.UtcNow));
            var waiting = await coordinator.StartAsync(new RetrainRequest(1, 8, false));
            Assert.Equal(StartRetrainOutcome.DataNotReady, waiting.Outcome);
            Assert.Contains("is being imported", waiting.Reason, StringComparison.Ordinal);
            Assert.Null(waiting.JobId);
        }
        finally
        {
            await dataset.SetBaseDataStatusAsync(new BaseDataStatus(BaseDataState.NotConfigured, null, "No base data set is configured.", DateTimeOffset.UtcNow));
        }

        var readiness = await dataset.GetTrainingReadinessAsync();
        Assert.Equal(BaseDataState.NotConfigured, readiness.BaseData!.State);
    }

    /// <summary>Gate sets are equal when version and members are (records compare lists by reference).</summary>
    private sealed class GateSetComparer : IEqualityComparer<GateSet>
    {
        public static readonly GateSetComparer Instance = new();

        public bool Equals(GateSet? x, GateSet? y) => x is not null && y is not null && x.Version == y.Version && x.Images.SequenceEqual(y.Images);

        public int GetHashCode(GateSet obj) => obj.Version;
    }
}
