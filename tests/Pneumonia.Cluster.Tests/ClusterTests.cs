using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Prediction;
using Pneumonia.Grains.Training;
using Xunit.Abstractions;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// Three silos and two front ends on a real Redis: membership and roles, placement of predictions and training by
/// role, and the end-to-end case — upload through front end A, retrain on the trainer silo, every predictor serving
/// the new version within seconds, a prediction through front end B answered by it.
/// </summary>
[Collection(ClusterDefinition.Name)]
public sealed class ClusterTests(ClusterFixture cluster, ITestOutputHelper output)
{

    [Fact]
    public async Task Three_silos_join_through_Redis_and_only_predictors_load_the_model()
    {
        var hosts = await Management().GetHosts(onlyActive: true);

        Assert.Equal(cluster.Silos.Select(s => s.Address).Order(), hosts.Keys.Order());
        Assert.False(cluster.Trainer.Model.IsReady, "the trainer silo holds no production model");
        var production = (await cluster.PredictorA.Grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default).GetProductionAsync())!.Version;
        await WaitUntilPredictorsServeAsync(production);
    }

    [Fact]
    public async Task Predictions_run_on_predictor_silos_only_and_a_front_end_uses_both()
    {
        var production = (await cluster.Trainer.Grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default).GetProductionAsync())!.Version;
        var image = File.ReadAllBytes(TestData.Images("test", "PNEUMONIA", 1)[0]);

        // Called on the trainer silo, the stateless worker cannot be local: the role filter sends it to a predictor.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            cluster.Trainer.Grains.GetGrain<IPredictionGrain>(0).PredictAsync(new NamedImage("x.jpeg", image), heatmap: false)));
        Assert.All(outcomes, outcome => Assert.Equal(production, outcome.Result?.ModelVersion));
        Assert.Equal(0, cluster.Trainer.CallsTo(typeof(PredictionGrain)));

        // A front end spreads its predictions over the predictor silos (through their gateways), none to the trainer.
        var (servedByA, servedByB) = (cluster.PredictorA.CallsTo(typeof(PredictionGrain)), cluster.PredictorB.CallsTo(typeof(PredictionGrain)));
        using var client = cluster.FrontEndA.CreateClient();
        for (var i = 0; i < 20; i++)
        {
            using var response = await client.PostAsync("/predict", ImageForm("file", ("x.jpeg", image)));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        (servedByA, servedByB) = (cluster.PredictorA.CallsTo(typeof(PredictionGrain)) - servedByA, cluster.PredictorB.CallsTo(typeof(PredictionGrain)) - servedByB);
        output.WriteLine($"20 predictions through front end A: predictor A served {servedByA}, B {servedByB}");
        Assert.Equal(20, servedByA + servedByB);
        Assert.True(servedByA > 0 && servedByB > 0, $"predictor A served {servedByA}, B {servedByB}");
        Assert.Equal(0, cluster.Trainer.CallsTo(typeof(PredictionGrain)));
    }

    [Fact]
    public async Task Upload_via_A_retrain_on_the_trainer_and_predict_via_B_with_the_new_version()
    {
        using var frontEndA = cluster.FrontEndA.CreateAuthorizedClient();
        using var frontEndB = cluster.FrontEndB.CreateAuthorizedClient();

        var entries = TestData.Images("train", "NORMAL", 40).Skip(20).Select(path => ("set/NORMAL/" + Path.GetFileName(path), path))
            .Concat(TestData.Images("train", "PNEUMONIA", 40).Skip(20).Select(path => ("set/PNEUMONIA/" + Path.GetFileName(path), path)));
        using (var upload = await frontEndA.PostAsync("/upload", ImageForm("files", ("training.zip", Zip(entries)))))
        {
            Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
            Assert.Equal(40, (await JsonAsync(upload)).GetProperty("accepted").GetInt32());
        }

        // B sees A's upload: one dataset grain for the cluster, one image store on the shared directory.
        var stats = await JsonAsync(await frontEndB.GetAsync("/dataset/stats"));
        Assert.True(stats.GetProperty("total_images").GetInt32() >= 40);

        using var started = await frontEndA.PostAsync("/retrain?epochs=1&batch_size=8&fine_tune=false", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var jobId = (await JsonAsync(started)).GetProperty("job_id").GetString()!;
        var job = await Jobs.WaitForEndAsync(frontEndB, jobId);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        Assert.True(job.GetProperty("promoted").GetBoolean(), job.GetProperty("promotion_reason").GetString());
        var version = job.GetProperty("result_version").GetString()!;
        Assert.True(cluster.Trainer.CallsTo(typeof(TrainingJobGrain)) > 0);
        Assert.Equal(0, cluster.PredictorA.CallsTo(typeof(TrainingJobGrain)) + cluster.PredictorB.CallsTo(typeof(TrainingJobGrain)));

        // The promotion reaches every predictor silo by its own refresh (Pneumonia:Prediction:ModelRefreshInterval, 1 s).
        var rollout = await WaitUntilPredictorsServeAsync(version);
        output.WriteLine($"every predictor silo served {version} {rollout.TotalSeconds:F2} s after the job reported its promotion");
        Assert.False(cluster.Trainer.Model.IsReady);

        var image = File.ReadAllBytes(TestData.Images("test", "NORMAL", 1)[0]);
        using var prediction = await frontEndB.PostAsync("/predict", ImageForm("file", ("x.jpeg", image)));
        Assert.Equal(HttpStatusCode.OK, prediction.StatusCode);
        Assert.Equal(version, (await JsonAsync(prediction)).GetProperty("model_version").GetString());
    }

    private async Task<TimeSpan> WaitUntilPredictorsServeAsync(string version)
    {
        // Reported, not asserted: how fast a rollout is belongs to a benchmark; the wait's timeout only stops a hang.
        var waiting = Stopwatch.StartNew();
        await Jobs.PollAsync(
            () => Task.FromResult((A: cluster.PredictorA.Model.Version, B: cluster.PredictorB.Model.Version)),
            serving => serving.A == version && serving.B == version, $"both predictors serving {version}");
        return waiting.Elapsed;
    }

    private IManagementGrain Management() => cluster.PredictorA.Grains.GetGrain<IManagementGrain>(0);

    internal static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();

    internal static MultipartFormDataContent ImageForm(string field, (string Name, byte[] Bytes) file)
    {
        var content = new ByteArrayContent(file.Bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return new MultipartFormDataContent { { content, field, file.Name } };
    }

    internal static byte[] Zip(IEnumerable<(string Name, string Path)> entries)
    {
        using var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, path) in entries)
            {
                archive.CreateEntryFromFile(path, name);
            }
        }

        return stream.ToArray();
    }
}
