using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Pneumonia.Grains.Dataset;
using Pneumonia.Ml.Data;

namespace Pneumonia.Grains.Tests;

/// <summary>
/// The dataset's listings page their rows and its statistics come from counters. Each test uses a dataset grain of its
/// own key with catalogue records of its own (listings and counters need no image bytes), so totals are exact.
/// </summary>
[Collection(GrainsClusterDefinition.Name)]
public sealed class DatasetPagingTests(GrainsClusterFixture fixture)
{
    private static readonly DateTimeOffset AddedAt = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Paging_returns_every_labelled_image_exactly_once_also_when_batches_are_added_between_pages()
    {
        var dataset = NewDataset();
        var batches = new List<List<ImageRecord>>();
        for (var b = 0; b < 3; b++)
        {
            batches.Add(await AddBatchAsync(dataset, Records(seed: b, count: 12 + b)));
        }

        var seen = new List<ImageRecord>();
        DatasetCursor? cursor = null;
        var pages = 0;
        do
        {
            var page = await dataset.GetLabelledImagesAsync(cursor, limit: 5);
            Assert.InRange(page.Images.Count, 0, 5);
            seen.AddRange(page.Images);
            cursor = page.Next;
            if (++pages == 2)
            {
                // Added after the listing started: it comes at the end, once.
                batches.Add(await AddBatchAsync(dataset, Records(seed: 3, count: 9)));
            }
        }
        while (cursor is not null);

        var labelled = batches.SelectMany(b => b).Where(i => i.Label is not null).ToList();
        Assert.Equal(labelled.Count, seen.Count);
        Assert.Equal(labelled.Select(i => i.Sha256).Order(), seen.Select(i => i.Sha256).Order());
        Assert.All(seen, i => Assert.NotNull(i.Label));
        Assert.True(pages >= labelled.Count / 5, $"{labelled.Count} images came in {pages} pages");
    }

    [Fact]
    public async Task A_page_holds_at_most_the_configured_page_size_and_a_bad_limit_or_cursor_is_refused()
    {
        var dataset = NewDataset();
        await AddBatchAsync(dataset, Records(seed: 10, count: 30));

        var page = await dataset.GetLabelledImagesAsync(null, limit: 10_000);
        var training = await dataset.GetTrainingImagesAsync(null, limit: int.MaxValue);

        Assert.Equal(PneumoniaTestCluster.PageSize, page.Images.Count);
        Assert.NotNull(page.Next);
        Assert.InRange(training.Images.Count, 0, PneumoniaTestCluster.PageSize);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => dataset.GetLabelledImagesAsync(null, limit: 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => dataset.GetLabelledImagesAsync(new DatasetCursor(-1, 0), limit: 5));
        Assert.Empty((await dataset.GetLabelledImagesAsync(new DatasetCursor(99, 0), limit: 5)).Images);
    }

    [Fact]
    public async Task Statistics_sample_and_training_listing_equal_what_counting_the_rows_gives()
    {
        var dataset = NewDataset();
        var all = new List<ImageRecord>();
        for (var b = 0; b < 3; b++)
        {
            all.AddRange(await AddBatchAsync(dataset, Records(seed: 20 + b, count: 40)));
        }

        var statistics = await dataset.GetStatisticsAsync();
        var labelled = await dataset.ReadLabelledImagesAsync();
        var training = await dataset.ReadTrainingImagesAsync();
        var gate = await dataset.ReadGateSetAsync();

        Assert.Equal(all.Where(i => i.Label is not null).Select(i => i.Sha256).Order(), labelled.Select(i => i.Sha256).Order());
        AssertSizesOf(labelled, statistics.LabelledSizes!);
        Assert.Equal(all.Count, statistics.TotalImages);
        Assert.Equal(all.Sum(i => i.SizeBytes), statistics.TotalBytes);
        foreach (var count in statistics.Counts)
        {
            Assert.Equal(all.Count(i => i.Split == count.Split && i.Label == count.Label), count.Images);
        }

        // Training: the labelled images outside the gate set (the rule keeps test patients out of both).
        var gateHashes = gate.Images.Select(i => i.Sha256).ToHashSet();
        Assert.NotEmpty(gateHashes);
        Assert.DoesNotContain(training, i => gateHashes.Contains(i.Sha256));
        Assert.Equal(labelled.Where(i => !gateHashes.Contains(i.Sha256)).Select(i => i.Sha256).Order(), training.Select(i => i.Sha256).Order());

        // The gate set comes in pages too: the members the statistics count, each once.
        Assert.Equal(statistics.GateSet!.Normal + statistics.GateSet.Pneumonia, gate.Images.Count);
        Assert.Equal(gate.Images.Count, gateHashes.Count);
        Assert.True(gate.Images.Count > PneumoniaTestCluster.PageSize, $"{gate.Images.Count} gate images");
        Assert.Equal(PneumoniaTestCluster.PageSize, (await dataset.GetGateSetAsync(0, 1_000)).Images.Count);

        var sample = await dataset.GetSampleAsync(DatasetLimits.MaxSamplesPerLabel);
        var expected = labelled.GroupBy(i => i.Label).OrderBy(g => g.Key)
            .SelectMany(g => g.OrderBy(i => i.Sha256, StringComparer.Ordinal).Take(DatasetLimits.MaxSamplesPerLabel));
        Assert.Equal(expected.Select(i => i.Sha256), sample.Select(i => i.Sha256));
        Assert.Equal(2 * 3, (await dataset.GetSampleAsync(3)).Count);
    }

    [Fact]
    public async Task State_stored_before_the_counters_existed_is_counted_on_its_next_activation()
    {
        var storage = fixture.Cluster.Services().GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);
        var current = NewDataset();
        await AddBatchAsync(current, Records(seed: 30, count: 25));
        var stored = new GrainState<DatasetState>(new DatasetState());
        await storage.ReadStateAsync("dataset", current.GetGrainId(), stored);
        Assert.True(stored.State!.RowCountersBuilt);

        // What the state of an older silo reads as: the fields it never wrote keep their defaults.
        stored.State.LabelledSizes = new();
        stored.State.Sample = [];
        stored.State.RowCountersBuilt = false;
        var older = NewDataset();
        await storage.WriteStateAsync("dataset", older.GetGrainId(), new GrainState<DatasetState>(stored.State));

        var statistics = await older.GetStatisticsAsync();

        var labelled = await older.ReadLabelledImagesAsync();
        Assert.Equal(25 - 25 / 5, labelled.Count);
        AssertSizesOf(labelled, statistics.LabelledSizes!);
        Assert.Equal(await current.GetSampleAsync(DatasetLimits.MaxSamplesPerLabel), await older.GetSampleAsync(DatasetLimits.MaxSamplesPerLabel));
        await storage.ReadStateAsync("dataset", older.GetGrainId(), stored);
        Assert.True(stored.State!.RowCountersBuilt);
    }

    private IDatasetGrain NewDataset() => fixture.Cluster.Client.GetGrain<IDatasetGrain>($"paging-{Guid.NewGuid():N}");

    private static async Task<List<ImageRecord>> AddBatchAsync(IDatasetGrain dataset, List<ImageRecord> records)
    {
        var batchId = records[0].Source;
        var batch = await dataset.AddBatchAsync(batchId, batchId, records, [], screen: null);
        Assert.Equal(records.Count, batch.Accepted);
        return records;
    }

    // Catalogue records of new (random) hashes: every fifth unlabelled, two images per patient (Kermany-style names, so
    // the gate rule picks patients, not whole batches), varied sizes.
    private static List<ImageRecord> Records(int seed, int count)
    {
        var random = new Random(seed);
        var batchId = $"batch-{Guid.NewGuid():N}";
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var name = $"person{(seed * 1_000) + (i / 2)}_bacteria_{i}.jpeg";
            return new ImageRecord(
                Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)),
                i % 5 == 4 ? null : i % 2 == 0 ? ImageLabel.Normal : ImageLabel.Pneumonia,
                i % 7 == 0 ? ImageSplit.Test : ImageSplit.Train,
                batchId,
                name,
                random.Next(20_000, 2_000_000),
                random.Next(400, 2_900),
                random.Next(300, 2_700),
                PatientId.FromFileName(name),
                AddedAt);
        })];
    }

    private static void AssertSizesOf(List<ImageRecord> rows, ImageSizeSummary sizes)
    {
        Assert.Equal(rows.Count, sizes.Images);
        AssertExact(rows.Select(i => (double)i.Width).ToList(), sizes.Width);
        AssertExact(rows.Select(i => (double)i.Height).ToList(), sizes.Height);
        var bytes = rows.Select(i => (double)i.SizeBytes).ToList();
        Assert.Equal((bytes.Min(), bytes.Max()), (sizes.Bytes.Min, sizes.Bytes.Max));
        Assert.Equal(bytes.Average(), sizes.Bytes.Mean, 6);
        Assert.InRange(sizes.Bytes.Median, Median(bytes) * (1 - ImageSizeSummary.BytesMedianPrecision), Median(bytes) * (1 + ImageSizeSummary.BytesMedianPrecision));
    }

    private static void AssertExact(List<double> values, ValueSummary summary)
    {
        Assert.Equal((values.Min(), Median(values), values.Max()), (summary.Min, summary.Median, summary.Max));
        Assert.Equal(values.Average(), summary.Mean, 6);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
