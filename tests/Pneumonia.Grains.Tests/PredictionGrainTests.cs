using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Pneumonia.Grains.Models;
using Pneumonia.Grains.Prediction;
using Xunit.Abstractions;

namespace Pneumonia.Grains.Tests;

[Collection(GrainsClusterDefinition.Name)]
public sealed class PredictionGrainTests(GrainsClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly byte[] Xray = File.ReadAllBytes(TestData.Images("test", "PNEUMONIA", 1)[0]);

    [Fact]
    public async Task A_bad_image_is_an_outcome_with_an_error_code_not_an_exception()
    {
        var grain = fixture.Cluster.Client.GetGrain<IPredictionGrain>(0);

        var bad = await grain.PredictAsync(new NamedImage("notes.txt", "hello"u8.ToArray()), heatmap: false);
        var batch = await grain.PredictBatchAsync([new NamedImage("a.jpeg", Xray), new NamedImage("empty.png", []), new NamedImage("b.jpeg", Xray)]);

        Assert.Null(bad.Result);
        Assert.Equal("NotAnImage", bad.ErrorCode);
        Assert.False(string.IsNullOrEmpty(bad.Error));
        Assert.Equal(["a.jpeg", "empty.png", "b.jpeg"], batch.Select(o => o.Name));
        Assert.Equal("Empty", batch[1].ErrorCode);
        // The same image, possibly in forward passes of different sizes (bf16 kernels round differently).
        Assert.InRange(batch[2].Result!.Probability, batch[0].Result!.Probability - 0.005, batch[0].Result!.Probability + 0.005);
        Assert.True(batch[0].Result!.ElapsedMilliseconds > 0);
    }

    [Fact]
    public async Task A_heatmap_comes_as_a_png_with_the_same_prediction()
    {
        var grain = fixture.Cluster.Client.GetGrain<IPredictionGrain>(0);
        await fixture.Cluster.WaitUntilServingProductionAsync(); // an earlier test may have just promoted a model

        var plain = (await grain.PredictAsync(new NamedImage("x.jpeg", Xray), heatmap: false)).Result!;
        var mapped = (await grain.PredictAsync(new NamedImage("x.jpeg", Xray), heatmap: true)).Result!;

        Assert.Null(plain.HeatmapPng);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, mapped.HeatmapPng![..4]);
        Assert.Equal((plain.Label, plain.ModelVersion), (mapped.Label, mapped.ModelVersion));
        Assert.Equal(plain.Probability, mapped.Probability, 4);
    }

    [Fact]
    public async Task Switching_the_production_model_while_16_clients_predict_fails_no_request()
    {
        var cluster = fixture.Cluster;
        var registry = cluster.Registry();
        var (card, directory) = cluster.Services().GetRequiredService<ModelStore>().Import(fixture.AlternateDirectory);
        await registry.RegisterAsync(ModelCardMapper.ToVersionInfo(card, directory));
        await cluster.WaitUntilServingProductionAsync();
        var before = (await registry.GetProductionAsync())!.Version;
        Assert.NotEqual(card.Version, before);

        var versions = new ConcurrentQueue<string>();
        var failures = new ConcurrentQueue<Exception>();
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            var grain = cluster.Client.GetGrain<IPredictionGrain>(0);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var outcome = await grain.PredictAsync(new NamedImage("x.jpeg", Xray), heatmap: false);
                    versions.Enqueue(outcome.Result?.ModelVersion ?? throw new InvalidOperationException(outcome.Error));
                }
                catch (Exception ex)
                {
                    failures.Enqueue(ex);
                }
            }
        })).ToList();

        await WaitUntilServedAsync(versions, before);
        var promotion = await registry.PromoteAsync(card.Version, force: true, "model switch test", gate: null);
        await WaitUntilServedAsync(versions, card.Version);
        var rollback = await registry.RollbackAsync("model switch test done");
        await WaitUntilServedAsync(versions, before);
        await stop.CancelAsync();
        await Task.WhenAll(clients);

        output.WriteLine($"{versions.Count} predictions by 16 clients across two switches, {failures.Count} failed");
        Assert.Empty(failures);
        Assert.True(promotion.Promoted && promotion.Forced);
        Assert.Equal((before, true, card.Version), (rollback.Version, rollback.Promoted, rollback.PreviousVersion));
        Assert.Equal(before, (await registry.GetProductionAsync())!.Version);
        Assert.All(versions, v => Assert.Contains(v, new[] { before, card.Version }));
    }

    [Fact]
    public async Task Concurrent_predictions_share_forward_passes_and_get_the_answers_of_single_ones()
    {
        var grain = fixture.Cluster.Client.GetGrain<IPredictionGrain>(0);
        await fixture.Cluster.WaitUntilServingProductionAsync();
        var batcher = fixture.Cluster.Services().GetRequiredService<InferenceBatcher>();
        var images = TestData.Images("test", "NORMAL", 4).Concat(TestData.Images("test", "PNEUMONIA", 4))
            .Select(path => new NamedImage(Path.GetFileName(path), File.ReadAllBytes(path))).ToList();
        var single = new List<PredictionResult>();
        foreach (var image in images)
        {
            single.Add((await grain.PredictAsync(image, heatmap: false)).Result!);
        }

        var (passes, classified) = (batcher.Passes, batcher.Images);
        var concurrent = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => grain.PredictAsync(images[i % images.Count], heatmap: false)));
        var (passesTaken, imagesTaken) = (batcher.Passes - passes, batcher.Images - classified);

        output.WriteLine($"64 concurrent predictions: {passesTaken} forward passes");
        Assert.Equal(64, imagesTaken);
        Assert.True(passesTaken < 64, $"64 concurrent requests took {passesTaken} forward passes: none was batched");
        for (var i = 0; i < concurrent.Length; i++)
        {
            var (alone, together) = (single[i % images.Count], concurrent[i].Result!);
            Assert.Equal((alone.Label, alone.ModelVersion), (together.Label, together.ModelVersion));
            // A batch runs other (bf16) kernels than a single image; the answers agree to rounding.
            Assert.InRange(together.Probability, alone.Probability - 0.005, alone.Probability + 0.005);
        }
    }

    [Fact]
    public void The_per_request_baseline_loads_a_private_copy_of_the_production_model()
    {
        var host = fixture.Cluster.Services().GetRequiredService<ProductionModelHost>();
        using var lease = host.Acquire();

        using var copy = host.LoadPrivateCopy();

        Assert.NotSame(lease.Predictor, copy);
        Assert.Equal(lease.Predictor.Card.Version, copy.Card.Version);
        // In int8 the baseline loads the weights in bf16: building an ONNX Runtime session per request is a cost the
        // original service never had.
        Assert.Equal(lease.Predictor.Precision == InferencePrecision.Int8 ? InferencePrecision.Bf16 : lease.Predictor.Precision, copy.Precision);
    }

    // Drains the queue until a response names the version; the predictions keep flowing meanwhile.
    private static async Task WaitUntilServedAsync(ConcurrentQueue<string> versions, string version)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (versions.Skip(Math.Max(0, versions.Count - 16)).Contains(version))
            {
                // Keep the clients on this version a little longer, so the next switch also meets requests in flight.
                await Task.Delay(150);
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail($"no prediction named {version} within 20 s");
    }
}
