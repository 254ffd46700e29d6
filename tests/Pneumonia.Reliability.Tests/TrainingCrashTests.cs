using System.Net;
using Pneumonia.Reliability.Tests.Infrastructure;

namespace Pneumonia.Reliability.Tests;

/// <summary>kill -9 of the API process while a retrain trains, and while a promotion switches production.</summary>
[Collection(ProcessTests.Name)]
public sealed class TrainingCrashTests
{
    [Fact]
    public async Task Kill_during_training_ends_the_job_failed_leaves_production_untouched_and_a_new_retrain_works()
    {
        using var root = new TempDirectory();
        string jobId, production;
        int versions;
        await using (var api = await ApiProcess.StartAsync(root.Path))
        {
            await Training.UploadTrainingSetAsync(api.Client);
            production = await Training.ProductionAsync(api.Client);
            versions = (await api.Client.GetJsonAsync("/models")).GetProperty("count").GetInt32();
            jobId = await Training.StartAsync(api.Client, "epochs=50&batch_size=4&fine_tune=true");
            // Killed once an epoch has ended (progress > 0): state and the checkpoint have been written at least once.
            await Wait.UntilAsync(async () => (await api.Client.GetJsonAsync($"/jobs/{jobId}")).GetProperty("progress").GetDouble() > 0,
                TimeSpan.FromSeconds(120), "the first epoch to end", 100);
            await api.KillAsync();
        }

        await using (var api = await ApiProcess.StartAsync(root.Path))
        {
            var job = await Training.WaitForEndAsync(api.Client, jobId);
            var status = job.GetProperty("status").GetString();
            Assert.True(status is "failed" or "completed", $"job ended {status}");
            var models = await api.Client.GetJsonAsync("/models");
            // A job that resumed and finished may have added a version; a failed one adds none, and neither replaces production unasked.
            Assert.Equal(status == "failed" ? versions : versions + 1, models.GetProperty("count").GetInt32());
            if (status == "failed")
            {
                Assert.Equal(production, models.GetProperty("production").GetString());
            }

            var (code, answeredBy) = await api.Client.PredictAsync();
            Assert.Equal((HttpStatusCode.OK, models.GetProperty("production").GetString()), (code, answeredBy));

            var retrain = await Training.WaitForEndAsync(api.Client, await Training.StartAsync(api.Client, "epochs=1&batch_size=8&fine_tune=false"));
            Assert.Equal("completed", retrain.GetProperty("status").GetString());
            ReliabilityLog.Record(Areas.Crashes, "kill -9 during a retrain (after its first epoch), restart, new retrain", inputs: 1,
                outcome: $"after restart the job ended '{status}' ({job.GetProperty("error").GetString()}); production stayed {production} and answered predictions; a new 1-epoch retrain completed");
        }
    }

    [Fact]
    public async Task Kill_during_a_promotion_leaves_production_the_old_or_the_new_version()
    {
        const int Trials = 4;
        using var root = new TempDirectory();
        string first, second;
        await using (var api = await ApiProcess.StartAsync(root.Path))
        {
            await Training.UploadTrainingSetAsync(api.Client);
            first = await Training.ProductionAsync(api.Client);
            second = await Training.NewVersionAsync(api.Client);
        }

        var random = new Random(6);
        var outcomes = new List<string>();
        for (var trial = 0; trial < Trials; trial++)
        {
            string before, target;
            await using (var api = await ApiProcess.StartAsync(root.Path))
            {
                before = await Training.ProductionAsync(api.Client);
                target = before == first ? second : first;
                var promotion = api.Client.PostAsync($"/select-model?model_name={target}&force=true&reason=crash-test", null);
                // Spread the kill over the promotion's life: before, during and after the registry writes.
                await Task.Delay(random.Next(0, 40));
                await api.KillAsync();
                outcomes.Add(promotion.IsCompletedSuccessfully ? "after" : "during");
            }

            await using (var api = await ApiProcess.StartAsync(root.Path))
            {
                var production = await Training.ProductionAsync(api.Client);
                Assert.Contains(production, new[] { before, target });
                await Wait.UntilAsync(async () => (await api.Client.PredictAsync()).Version == production, TimeSpan.FromSeconds(30), "predictions by the production version");
                var health = await api.Client.GetJsonAsync("/health");
                Assert.Equal(production, health.GetProperty("model_version").GetString());
            }
        }

        ReliabilityLog.Record(Areas.Crashes, "kill -9 during a forced promotion (random delay 0-40 ms, seed 6), restart", inputs: Trials,
            outcome: $"kills landed {string.Join(", ", outcomes)} the request; after every restart production was the old or the new version, health and predictions named it");
    }
}
