using Pneumonia.Ml.Evaluation;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Packages;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Ml.Tests.Training;

/// <summary>The model that ships in models/bundled: a fresh clone must classify without training.</summary>
public sealed class BundledModelTests
{
    private static readonly string s_directory = Path.Combine(TestData.RepositoryRoot, "models", "bundled");

    [Fact]
    public void Bundled_model_loads_and_classifies_known_test_images_correctly()
    {
        using var predictor = PneumoniaPredictor.Load(s_directory, new XrayImageDecoder());

        var pneumonia = predictor.Predict(File.ReadAllBytes(Path.Combine(TestData.ChestXrayRoot, "test", "PNEUMONIA", "person100_bacteria_475.jpeg")));
        var normal = predictor.Predict(File.ReadAllBytes(Path.Combine(TestData.ChestXrayRoot, "test", "NORMAL", "IM-0001-0001.jpeg")));

        Assert.Equal(XrayPrediction.Pneumonia, pneumonia.Label);
        Assert.Equal(XrayPrediction.Normal, normal.Label);
        Assert.Equal(predictor.Card.Version, pneumonia.ModelVersion);
    }

    [Fact]
    public void Bundled_model_is_small_enough_to_ship_and_carries_its_test_report()
    {
        var card = ModelPackage.ReadCard(s_directory);
        var bytes = Directory.GetFiles(s_directory).Sum(f => new FileInfo(f).Length);

        Assert.InRange(bytes, 1, 25_000_000);
        Assert.NotNull(card.Test);
        Assert.Equal(618, card.Test!.Count);
        Assert.True(card.Validation.Recall >= card.Training.MinimumSensitivity);
    }

    [Fact]
    public void Bundled_model_in_bfloat16_gives_the_float32_answers()
    {
        var answers = AgainstFloat32(new ServingPrecision(InferencePrecision.Bf16, 0));
        Assert.Equal((InferencePrecision.Bf16, 0), (answers.Served.Precision, answers.Served.Bf16FromStage));
        // On the whole test split (pneumonia bench-inference; evaluate --precision Bf16): fp32's labels on all 624
        // files, largest probability change 0.049.
        Assert.Equal(answers.Expected.Select(p => p.Label), answers.Actual.Select(p => p.Label));
        Assert.All(answers.Expected.Zip(answers.Actual), pair => Assert.InRange(Math.Abs(pair.First.Probability - pair.Second.Probability), 0, 0.05));
        Assert.InRange(answers.RocAuc, answers.Fp32RocAuc - 0.005, answers.Fp32RocAuc + 0.005);
        Assert.Equal(answers.Actual[0].Probability, answers.Heatmapped.Probability, 4);
    }

    [Fact]
    public void Bundled_model_is_served_in_int8_with_the_float32_answers_within_a_label_on_real_x_rays()
    {
        var answers = AgainstFloat32(null);
        Assert.Equal(InferencePrecision.Int8, answers.Served.Precision);
        // On the whole test split (pneumonia bench-inference): fp32's label on 623 of 624 files, largest probability change 0.19.
        Assert.InRange(answers.Expected.Zip(answers.Actual).Count(pair => pair.First.Label != pair.Second.Label), 0, 1);
        Assert.All(answers.Expected.Zip(answers.Actual), pair => Assert.InRange(Math.Abs(pair.First.Probability - pair.Second.Probability), 0, 0.2));
        Assert.InRange(answers.RocAuc, answers.Fp32RocAuc - 0.01, answers.Fp32RocAuc + 0.01);
        // The heatmap's answer comes from the same int8 feature map.
        Assert.Equal(answers.Actual[0].Probability, answers.Heatmapped.Probability, 4);
    }

    private sealed record Answers(
        ServingPrecision Served, IReadOnlyList<XrayPrediction> Expected, IReadOnlyList<XrayPrediction> Actual, XrayPrediction Heatmapped,
        double Fp32RocAuc, double RocAuc);

    /// <summary>
    /// The bundled model's answers on the first 24 NORMAL and 24 PNEUMONIA test files in fp32 (expected) and in
    /// <paramref name="precision"/> (null: the serving default), with the ROC-AUCs and the first file's heatmap answer.
    /// </summary>
    private static Answers AgainstFloat32(ServingPrecision? precision)
    {
        var decoder = new XrayImageDecoder();
        using var fp32 = PneumoniaPredictor.Load(s_directory, decoder, ServingPrecision.Fp32);
        using var served = PneumoniaPredictor.Load(s_directory, decoder, precision);
        var files = TestData.Images("test", "NORMAL", 24).Select(f => (f, false)).Concat(TestData.Images("test", "PNEUMONIA", 24).Select(f => (f, true))).ToList();
        var pixels = files.Select(f => fp32.Preprocessor.LoadModelPixels(File.ReadAllBytes(f.Item1))).ToList();

        var expected = fp32.PredictPixels(pixels);
        var actual = served.PredictPixels(pixels);
        var (heatmapped, _) = served.PredictWithHeatmap(File.ReadAllBytes(files[0].Item1));

        var labels = files.Select(f => f.Item2).ToArray();
        double RocAuc(IReadOnlyList<XrayPrediction> answers) =>
            BinaryClassificationEvaluator.Evaluate(answers.Select(p => p.Probability).ToArray(), labels, fp32.Card.Threshold).RocAuc;
        return new Answers(served.Serving, expected, actual, heatmapped, RocAuc(expected), RocAuc(actual));
    }
}
