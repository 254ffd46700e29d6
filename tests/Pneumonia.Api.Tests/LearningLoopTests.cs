using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Models;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Api.Tests;

/// <summary>The API on the repository's bundled model, with the production gate tolerances and a gate set sized for tests.</summary>
public sealed class BundledModelApiFactory : ApiFactory
{
    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Pneumonia:Data:BundledModelDirectory"] = Path.Combine(TestData.RepositoryRoot, "models", "bundled"),
        // The production tolerances (Pneumonia:Promotion defaults) on a gate set of a few dozen images per class.
        ["Pneumonia:Promotion:MinimumGateImagesPerClass"] = "10",
        ["Pneumonia:Promotion:MaxAucDrop"] = "0.005",
        ["Pneumonia:Promotion:MaxSensitivityDrop"] = "0.02",
        ["Pneumonia:Promotion:MaxSpecificityDrop"] = "0.02",
        ["Pneumonia:Promotion:MaxBrierIncrease"] = "0.01",
        ["Pneumonia:Promotion:MaxEceIncrease"] = "0.02",
        ["Pneumonia:Promotion:SignificanceLevel"] = "0.05",
    };

    /// <summary>Registers a copy of the bundled model's weights under a new version with <paramref name="change"/> applied to its card.</summary>
    public async Task<string> RegisterVariantAsync(string name, Func<ModelCard, ModelCard> change)
    {
        var source = Path.Combine(TestData.RepositoryRoot, "models", "bundled");
        var directory = Path.Combine(TempPath, name);
        Directory.CreateDirectory(directory);
        File.Copy(Path.Combine(source, ModelPackage.WeightsFileName), Path.Combine(directory, ModelPackage.WeightsFileName), overwrite: true);
        var card = change(ModelPackage.ReadCard(source) with { Version = name, ParentVersion = ModelPackage.ReadCard(source).Version });
        ModelPackage.WriteCard(card, directory);
        var (imported, relative) = Services.GetRequiredService<IModelStore>().Import(directory);
        await Services.GetRequiredService<IGrainFactory>().GetGrain<IModelRegistryGrain>(WellKnownKeys.Default)
            .RegisterAsync(ModelCardMapper.ToVersionInfo(imported, relative));
        return name;
    }
}

/// <summary>
/// The promotion gate through the REST API on the real bundled model: a candidate is judged against production on the
/// same gate images as both are served; one that calls normal films pneumonia is refused with its figures; the same
/// model under another name passes; forcing is possible and recorded as forced.
/// </summary>
public sealed class PromotionGateApiTests(BundledModelApiFactory factory) : IClassFixture<BundledModelApiFactory>
{
    private readonly HttpClient _client = factory.CreateAuthorizedClient();

    [Fact]
    public async Task A_candidate_whose_gate_set_specificity_drops_is_refused_the_same_model_passes_and_forcing_is_recorded()
    {
        await UploadLabelledAsync(_client, "gate.zip", normalAs: "NORMAL", pneumoniaAs: "PNEUMONIA", skip: 100, count: 60);
        var stats = await (await _client.GetAsync("/dataset/stats")).JsonAsync();
        var gateSet = stats.GetProperty("gate_set");
        Assert.True(gateSet.GetProperty("normal").GetInt32() >= 10 && gateSet.GetProperty("pneumonia").GetInt32() >= 10, gateSet.ToString());
        var production = await ProductionAsync();

        // Same ranking, but every probability pushed up: normal films now cross the threshold.
        var overcalling = await factory.RegisterVariantAsync("pneumonia-overcalling", card => card with
        {
            Calibration = new ProbabilityCalibration("platt", 0.05, 6),
        });
        using var refused = await _client.PostAsync($"/select-model?model_name={overcalling}", null);
        var problem = await refused.JsonAsync();

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        var gate = problem.GetProperty("gate");
        Assert.Equal("refused", gate.GetProperty("verdict").GetString());
        Assert.Equal(production, gate.GetProperty("production_version").GetString());
        var specificity = Figure(gate, "specificity");
        Assert.False(specificity.GetProperty("passed").GetBoolean());
        Assert.True(specificity.GetProperty("difference").GetDouble() < -0.5, specificity.ToString());
        Assert.True(specificity.GetProperty("p_value").GetDouble() < 1e-3);
        // Ranking is unchanged by a monotone calibration: ROC-AUC is not what refused it.
        Assert.Equal(0, Figure(gate, "roc_auc").GetProperty("difference").GetDouble(), 9);
        Assert.Equal(production, await ProductionAsync());

        // The same weights and card under another name: every figure is equal, so it passes.
        var twin = await factory.RegisterVariantAsync("pneumonia-twin", card => card);
        using var passed = await _client.PostAsync($"/select-model?model_name={twin}", null);
        var decision = await passed.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, passed.StatusCode);
        Assert.Equal(("passed", false), (decision.GetProperty("gate").GetProperty("verdict").GetString(), decision.GetProperty("forced").GetBoolean()));
        Assert.Equal(twin, await ProductionAsync());

        // Forcing the refused model works and says so, with the figures it overrode.
        using var forced = await _client.PostAsync($"/select-model?model_name={overcalling}&force=true&reason=drill", null);
        var forcedDecision = await forced.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, forced.StatusCode);
        Assert.True(forcedDecision.GetProperty("forced").GetBoolean());
        Assert.StartsWith("drill: forced past the gate: refused by the gate", forcedDecision.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("refused", forcedDecision.GetProperty("gate").GetProperty("verdict").GetString());
        var history = await (await _client.GetAsync("/models/history")).JsonAsync();
        var latest = history.EnumerateArray().First();
        Assert.Equal((overcalling, true, true), (latest.GetProperty("model_version").GetString(), latest.GetProperty("promoted").GetBoolean(), latest.GetProperty("forced").GetBoolean()));
        var models = await (await _client.GetAsync("/models")).JsonAsync();
        var listed = models.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("version").GetString() == overcalling);
        Assert.Equal("refused", listed.GetProperty("gate").GetProperty("verdict").GetString());

        using var back = await _client.PostAsync("/models/rollback", null);
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        Assert.Equal(twin, await ProductionAsync());
    }

    private static JsonElement Figure(JsonElement gate, string name) =>
        gate.GetProperty("figures").EnumerateArray().Single(f => f.GetProperty("name").GetString() == name);

    private async Task<string?> ProductionAsync() => (await (await _client.GetAsync("/models")).JsonAsync()).GetProperty("production").GetString();

    /// <summary>A zip of <paramref name="count"/> NORMAL and PNEUMONIA training films, each put in the folder named for it.</summary>
    internal static async Task<JsonElement> UploadLabelledAsync(HttpClient client, string name, string normalAs, string pneumoniaAs, int skip, int count)
    {
        var entries = TestFiles.Images("train", "NORMAL", skip + count).Skip(skip).Select(i => ($"set/{normalAs}/{i.Name}", i.Bytes))
            .Concat(TestFiles.Images("train", "PNEUMONIA", skip + count).Skip(skip).Select(i => ($"set/{pneumoniaAs}/{i.Name}", i.Bytes)))
            .ToArray();
        using var form = TestFiles.Form("files", [(name, TestFiles.Zip(entries))]);
        using var response = await client.PostAsync("/upload", form);
        var body = await response.JsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToString());
        return body;
    }
}

/// <summary>The label screen through the REST API on the real bundled model.</summary>
public sealed class LabelScreenApiTests(BundledModelApiFactory factory) : IClassFixture<BundledModelApiFactory>
{
    private readonly HttpClient _client = factory.CreateAuthorizedClient();

    [Fact]
    public async Task A_zip_with_its_normal_and_pneumonia_folders_swapped_is_flagged_and_held_out_of_training_until_confirmed()
    {
        var before = (await (await _client.GetAsync("/dataset/stats")).JsonAsync()).GetProperty("training");

        var upload = await PromotionGateApiTests.UploadLabelledAsync(_client, "swapped.zip", normalAs: "PNEUMONIA", pneumoniaAs: "NORMAL", skip: 300, count: 30);

        Assert.Equal("held_for_review", upload.GetProperty("training_use").GetString());
        var screen = upload.GetProperty("label_screen");
        Assert.True(screen.GetProperty("held").GetBoolean());
        Assert.Contains("swapped", screen.GetProperty("reason").GetString(), StringComparison.Ordinal);
        var files = upload.GetProperty("files").EnumerateArray().ToList();
        Assert.True(files.Count(f => f.GetProperty("label_disputed").GetBoolean()) >= 45, string.Join("\n", files));
        Assert.All(files, f => Assert.InRange(f.GetProperty("model_probability").GetDouble(), 0, 1));
        var batchId = upload.GetProperty("batch_id").GetString();

        var stats = await (await _client.GetAsync("/dataset/stats")).JsonAsync();
        var training = stats.GetProperty("training");
        Assert.Equal((before.GetProperty("normal").GetInt32(), before.GetProperty("pneumonia").GetInt32()),
            (training.GetProperty("normal").GetInt32(), training.GetProperty("pneumonia").GetInt32()));
        Assert.Equal(before.GetProperty("held_for_review").GetInt32() + 60, training.GetProperty("held_for_review").GetInt32());
        var batch = stats.GetProperty("batches").EnumerateArray().Single(b => b.GetProperty("batch_id").GetString() == batchId);
        Assert.Equal("held_for_review", batch.GetProperty("training_use").GetString());

        // Correct labels in the same session: used, with at most a few disputes.
        var honest = await PromotionGateApiTests.UploadLabelledAsync(_client, "honest.zip", normalAs: "NORMAL", pneumoniaAs: "PNEUMONIA", skip: 400, count: 30);
        Assert.Equal("used", honest.GetProperty("training_use").GetString());
        Assert.False(honest.GetProperty("label_screen").GetProperty("held").GetBoolean());

        using var confirm = await _client.PostAsync($"/dataset/batches/{batchId}/confirm", null);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        Assert.Equal("confirmed", (await confirm.JsonAsync()).GetProperty("training_use").GetString());
        var after = (await (await _client.GetAsync("/dataset/stats")).JsonAsync()).GetProperty("training");
        Assert.Equal(before.GetProperty("held_for_review").GetInt32(), after.GetProperty("held_for_review").GetInt32());
        using var unknown = await _client.PostAsync("/dataset/batches/no-such-batch/confirm", null);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var anonymous = await factory.CreateClient().PostAsync($"/dataset/batches/{batchId}/confirm", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}

/// <summary>A retrain on a handful of images is refused before it starts, naming what is missing.</summary>
public sealed class TinyDataRetrainTests(TinyDataRetrainTests.Factory factory) : IClassFixture<TinyDataRetrainTests.Factory>
{
    public sealed class Factory : ApiFactory
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
        {
            ["Pneumonia:Retrain:MinimumTrainingImagesPerClass"] = "100",
        };
    }

    [Fact]
    public async Task Forty_uploaded_images_are_not_enough_to_retrain_on_and_the_422_says_what_is_missing()
    {
        var client = factory.CreateAuthorizedClient();
        await PromotionGateApiTests.UploadLabelledAsync(client, "few.zip", normalAs: "NORMAL", pneumoniaAs: "PNEUMONIA", skip: 500, count: 20);

        using var response = await client.PostAsync("/retrain?epochs=3&batch_size=8&fine_tune=true", null);
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("at least 100 trainable labelled images of each class", detail, StringComparison.Ordinal);
        Assert.Matches(@"has \d+ NORMAL and \d+ PNEUMONIA \(besides \d+ gate-set images", detail);
        Assert.Equal(0, (await (await client.GetAsync("/jobs")).JsonAsync()).GetProperty("count").GetInt32());
    }
}
