using System.Net;
using System.Text.Json;

namespace Pneumonia.Api.Tests;

/// <summary>
/// Upload, retrain, progress, new version, gate, promotion; cancel; one job under concurrent starts; a model switch
/// under prediction load. Real training on a few dozen real images at the TinyModel's 64 px.
/// </summary>
public sealed class TrainingFlowTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateAuthorizedClient();

    [Fact]
    public async Task Upload_retrain_progress_new_version_gate_and_promotion()
    {
        await UploadTrainingSetAsync();
        var parent = (await (await _client.GetAsync("/models")).JsonAsync()).GetProperty("production").GetString();
        using var started = await _client.PostAsync("/retrain?epochs=1&batch_size=8&fine_tune=false", null);
        var start = await started.JsonAsync();
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal("started", start.GetProperty("status").GetString());
        var jobId = start.GetProperty("job_id").GetString()!;
        Assert.Equal($"/jobs/{jobId}", started.Headers.Location?.OriginalString);

        // Progress while it runs is watched on a job that lasts (the stop test, TrainingEventsTests).
        var job = await Jobs.WaitForEndAsync(_client, jobId);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.False(job.GetProperty("running").GetBoolean());
        Assert.Equal(100, job.GetProperty("progress").GetDouble());
        var version = job.GetProperty("result_version").GetString()!;
        Assert.Equal(1, job.GetProperty("history").GetArrayLength());
        // The factory's gate (TestGateSettings.Lenient: wide tolerances, two gate images per class are evidence
        // enough) passes a one-epoch retrain of the tiny model on these images: the job promotes it itself.
        Assert.True(job.GetProperty("promoted").GetBoolean(), job.GetProperty("promotion_reason").GetString());
        Assert.Contains("passes the gate", job.GetProperty("promotion_reason").GetString(), StringComparison.Ordinal);
        var progress = await (await _client.GetAsync("/retrain-progress")).JsonAsync();
        Assert.Equal((jobId, "completed"), (progress.GetProperty("job_id").GetString(), progress.GetProperty("status").GetString()));

        var models = await (await _client.GetAsync("/models")).JsonAsync();
        var created = models.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("version").GetString() == version);
        Assert.Equal(parent, created.GetProperty("parent_version").GetString());
        Assert.Equal(parent, job.GetProperty("parent_version").GetString());
        var jobs = await (await _client.GetAsync("/jobs")).JsonAsync();
        Assert.Contains(jobs.GetProperty("jobs").EnumerateArray(), j => j.GetProperty("job_id").GetString() == jobId);

        var production = (await (await _client.GetAsync("/models")).JsonAsync()).GetProperty("production").GetString();
        Assert.Equal(version, production);
        await WaitForAsync(async () => (await (await _client.GetAsync("/health")).JsonAsync()).GetProperty("model_version").GetString() == version);
        using var form = TestFiles.Form("file", [("x.jpeg", TestFiles.Image("test", "NORMAL", 5))]);
        Assert.Equal(version, (await (await _client.PostAsync("/predict", form)).JsonAsync()).GetProperty("model_version").GetString());
        var metrics = await (await _client.GetAsync("/metrics")).JsonAsync();
        Assert.Equal(version, metrics.GetProperty("model_version").GetString());
    }

    [Fact]
    public async Task Stop_retrain_cancels_within_seconds_and_leaves_production_untouched()
    {
        await UploadTrainingSetAsync();
        var production = (await (await _client.GetAsync("/models")).JsonAsync()).GetProperty("production").GetString();
        var versions = (await (await _client.GetAsync("/models")).JsonAsync()).GetProperty("count").GetInt32();
        using var started = await _client.PostAsync("/retrain?epochs=50&batch_size=4&fine_tune=true", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var jobId = (await started.JsonAsync()).GetProperty("job_id").GetString()!;
        // Stopped once it trains: an epoch alternates training and validating, either means the training thread runs.
        var last = default(JsonElement);
        await WaitForAsync(async () =>
        {
            last = await (await _client.GetAsync($"/jobs/{jobId}")).JsonAsync();
            Assert.True(last.GetProperty("running").GetBoolean(), $"the job ended before it was stopped: {last}");
            return last.GetProperty("phase").GetString() is "training" or "validating";
        }, () => $"the job never reached training; last seen: {last}");

        using var stop = await _client.PostAsync("/stop-retrain", null);
        var stopped = await stop.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.Equal(jobId, stopped.GetProperty("job_id").GetString());
        var job = await Jobs.WaitForEndAsync(_client, jobId);
        Assert.Equal("cancelled", job.GetProperty("status").GetString());

        var models = await (await _client.GetAsync("/models")).JsonAsync();
        Assert.Equal(production, models.GetProperty("production").GetString());
        Assert.Equal(versions, models.GetProperty("count").GetInt32());
        var progress = await (await _client.GetAsync("/retrain-progress")).JsonAsync();
        Assert.Equal(("cancelled", false), (progress.GetProperty("status").GetString(), progress.GetProperty("running").GetBoolean()));
    }

    [Fact]
    public async Task Exactly_one_job_starts_under_eight_concurrent_retrain_requests()
    {
        await UploadTrainingSetAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _client.PostAsync("/retrain?epochs=50&batch_size=4", null)));
        var codes = responses.Select(r => r.StatusCode).ToList();
        Assert.Equal(1, codes.Count(c => c == HttpStatusCode.Accepted));
        Assert.Equal(7, codes.Count(c => c == HttpStatusCode.Conflict));
        var jobId = (await responses.Single(r => r.StatusCode == HttpStatusCode.Accepted).JsonAsync()).GetProperty("job_id").GetString();
        foreach (var conflict in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
        {
            Assert.Equal(jobId, (await conflict.JsonAsync()).GetProperty("job_id").GetString());
        }

        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsync("/stop-retrain", null)).StatusCode);
        await Jobs.WaitForEndAsync(_client, jobId!);
    }

    [Fact]
    public async Task A_forced_model_switch_while_16_clients_predict_fails_no_request()
    {
        var (first, second) = await TwoVersionsAsync();
        var images = TestFiles.Images("test", "PNEUMONIA", 8).Concat(TestFiles.Images("test", "NORMAL", 8)).ToList();
        var failures = new List<string>();
        string? lastVersion = null;
        var predictions = 0;
        using var stop = new CancellationTokenSource();

        var clients = Enumerable.Range(0, 16).Select(async index =>
        {
            using var client = factory.CreateClient();
            for (var i = 0; !stop.IsCancellationRequested || i < 3; i++)
            {
                using var form = TestFiles.Form("file", [images[(index + i) % images.Count]]);
                using var response = await client.PostAsync("/predict", form);
                var text = await response.Content.ReadAsStringAsync();
                lock (failures)
                {
                    predictions++;
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        failures.Add($"{(int)response.StatusCode}: {text}");
                    }
                    else
                    {
                        lastVersion = JsonDocument.Parse(text).RootElement.GetProperty("model_version").GetString()!;
                    }
                }
            }
        }).ToList();

        // Each switch waits until a client's prediction has come back from the new version, so every switch happens
        // under load, whatever the machine's speed.
        for (var i = 0; i < 6; i++)
        {
            var target = i % 2 == 0 ? second : first;
            int answeredBefore;
            lock (failures)
            {
                answeredBefore = predictions;
            }

            using var switched = await _client.PostAsync($"/select-model?model_name={target}&force=true&reason=switch-test", null);
            Assert.Equal(HttpStatusCode.OK, switched.StatusCode);
            await WaitForAsync(() =>
            {
                lock (failures)
                {
                    return Task.FromResult(lastVersion == target && predictions > answeredBefore);
                }
            }, () => $"no prediction answered by {target} after the switch");
        }

        await stop.CancelAsync();
        await Task.WhenAll(clients);
        Assert.Empty(failures);
    }

    private async Task<(string First, string Second)> TwoVersionsAsync()
    {
        var models = await (await _client.GetAsync("/models")).JsonAsync();
        var versions = models.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("version").GetString()!).ToList();
        if (versions.Count >= 2)
        {
            return (versions[0], versions[1]);
        }

        await UploadTrainingSetAsync();
        using var started = await _client.PostAsync("/retrain?epochs=1&batch_size=8&fine_tune=false", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var job = await Jobs.WaitForEndAsync(_client, (await started.JsonAsync()).GetProperty("job_id").GetString()!);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        return (factory.BundledModelVersion, job.GetProperty("result_version").GetString()!);
    }

    // 20 + 20 real training images as a zip with label folders; a second call finds them all duplicates.
    private async Task UploadTrainingSetAsync()
    {
        var entries = TestFiles.Images("train", "NORMAL", 60).Skip(40).Select(i => ("set/NORMAL/" + i.Name, i.Bytes))
            .Concat(TestFiles.Images("train", "PNEUMONIA", 60).Skip(40).Select(i => ("set/PNEUMONIA/" + i.Name, i.Bytes)))
            .ToArray();
        using var form = TestFiles.Form("files", [("training.zip", TestFiles.Zip(entries))]);
        using var response = await _client.PostAsync("/upload", form);
        var body = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(40, body.GetProperty("accepted").GetInt32() + body.GetProperty("duplicates").GetInt32());
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, Func<string>? describe = null) =>
        await Jobs.PollAsync(condition, met => met, describe?.Invoke() ?? "the condition");
}
