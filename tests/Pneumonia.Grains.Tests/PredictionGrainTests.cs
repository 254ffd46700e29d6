using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Pneumonia.Grains.Models;
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
        Assert.Equal(batch[0].Result!.Probability, batch[2].Result!.Probability, 6);
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
        var promotion = await registry.PromoteAsync(card.Version, force: true, "model switch test");
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
