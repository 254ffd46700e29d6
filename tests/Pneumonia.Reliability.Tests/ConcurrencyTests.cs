using System.Collections.Concurrent;
using System.Net;
using Pneumonia.Reliability.Tests.Infrastructure;

namespace Pneumonia.Reliability.Tests;

/// <summary>Simultaneous retrains, a promotion under prediction load, simultaneous uploads.</summary>
public sealed class ConcurrencyTests(ReliabilityApiFactory factory) : IClassFixture<ReliabilityApiFactory>
{
    [Fact]
    public async Task Two_to_ten_simultaneous_retrains_start_exactly_one_job()
    {
        using var client = factory.CreateAuthorizedClient();
        await Training.UploadTrainingSetAsync(client);
        int[] rounds = [2, 3, 5, 10];
        foreach (var concurrent in rounds)
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, concurrent).Select(_ => client.PostAsync("/retrain?epochs=50&batch_size=4", null)));
            var codes = responses.Select(r => r.StatusCode).ToList();
            Assert.Equal(1, codes.Count(c => c == HttpStatusCode.Accepted));
            Assert.Equal(concurrent - 1, codes.Count(c => c == HttpStatusCode.Conflict));
            var jobIds = await Task.WhenAll(responses.Select(async r => (await r.JsonAsync()).GetProperty("job_id").GetString()));
            Assert.Single(jobIds.Distinct());
            Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/stop-retrain", null)).StatusCode);
            Assert.Equal("cancelled", (await Training.WaitForEndAsync(client, jobIds[0]!)).GetProperty("status").GetString());
        }

        ReliabilityLog.Record(Areas.Concurrency, "2, 3, 5 and 10 simultaneous POST /retrain", inputs: rounds.Sum(),
            outcome: "each round: exactly one 202, every other request 409 naming the same job; 4 rounds, 4 jobs");
    }

    [Fact]
    public async Task A_promotion_while_32_clients_predict_fails_no_request_and_every_answer_names_its_version()
    {
        using var admin = factory.CreateAuthorizedClient();
        await Training.UploadTrainingSetAsync(admin);
        var first = await Training.ProductionAsync(admin);
        var second = await Training.NewVersionAsync(admin);
        var failures = new ConcurrentBag<string>();
        var versions = new ConcurrentDictionary<string, int>();
        var predictions = 0;
        using var stop = new CancellationTokenSource();
        var clients = Enumerable.Range(0, 32).Select(index => Task.Run(async () =>
        {
            using var client = factory.CreateClient();
            for (var i = 0; !stop.IsCancellationRequested || i < 2; i++)
            {
                var (status, version) = await client.PredictAsync((index + i) % 8);
                Interlocked.Increment(ref predictions);
                if (status != HttpStatusCode.OK || version is null)
                {
                    failures.Add($"{(int)status}");
                }
                else
                {
                    versions.AddOrUpdate(version, 1, (_, n) => n + 1);
                }
            }
        })).ToList();

        const int Switches = 6;
        for (var i = 0; i < Switches; i++)
        {
            var target = i % 2 == 0 ? second : first;
            using var switched = await admin.PostAsync($"/select-model?model_name={target}&force=true&reason=load", null);
            Assert.Equal(HttpStatusCode.OK, switched.StatusCode);
            await Wait.UntilAsync(() => versions.ContainsKey(target), TimeSpan.FromSeconds(30), $"an answer from {target}");
        }

        await stop.CancelAsync();
        await Task.WhenAll(clients);
        Assert.Empty(failures);
        Assert.Equal(new[] { first, second }.Order(), versions.Keys.Order());
        ReliabilityLog.Record(Areas.Concurrency, $"{Switches} forced promotions while 32 clients predict", inputs: predictions,
            outcome: $"{predictions} predictions, 0 failed; every answer named the version that gave it ({string.Join(", ", versions.Select(v => $"{v.Key}: {v.Value}"))})");
    }

    [Fact]
    public async Task Uploads_from_8_clients_at_once_store_every_accepted_image_exactly_once()
    {
        // 8 overlapping windows over a pool of images: each image is sent by one to three clients.
        var pool = Files.Xrays("test", 30, skip: 100);
        var windows = Enumerable.Range(0, 8).Select(i => pool.Skip(i * 6).Take(18).ToList()).ToList();
        var storeBefore = Files.Store(factory.ImagesDirectory).Images.Count;
        var totalBefore = (await factory.CreateClient().GetJsonAsync("/dataset/stats")).GetProperty("total_images").GetInt32();
        var responses = await Task.WhenAll(windows.Select(async window =>
        {
            using var client = factory.CreateAuthorizedClient();
            using var form = Files.Form("files", [("window.zip", Files.LabelledZip(window))]);
            using var response = await client.PostAsync("/upload", form);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.JsonAsync();
        }));

        var sent = windows.SelectMany(w => w).Select(i => Files.Sha256(i.Bytes)).ToList();
        var distinct = sent.Distinct().Count();
        var accepted = responses.SelectMany(r => r.GetProperty("files").EnumerateArray())
            .Where(f => f.GetProperty("status").GetString() == "accepted").Select(f => f.GetProperty("sha256").GetString()).ToList();
        Assert.Equal(distinct, accepted.Count);
        Assert.Equal(distinct, accepted.Distinct().Count());
        Assert.Equal(sent.Count - distinct, responses.Sum(r => r.GetProperty("duplicates").GetInt32()));
        Assert.Equal(totalBefore + distinct, (await factory.CreateClient().GetJsonAsync("/dataset/stats")).GetProperty("total_images").GetInt32());
        var (images, bad, temp) = Files.Store(factory.ImagesDirectory);
        Assert.Equal(storeBefore + distinct, images.Count);
        Assert.Empty(bad);
        Assert.Empty(temp);
        ReliabilityLog.Record(Areas.Concurrency, "8 clients upload overlapping zips at once", inputs: sent.Count,
            outcome: $"{sent.Count} images sent, {distinct} distinct: each accepted exactly once (by one client), {sent.Count - distinct} reported duplicate; dataset and store grew by exactly {distinct}");
    }
}
