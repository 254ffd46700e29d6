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
        var decoder = new XrayImageDecoder();
        using var fp32 = PneumoniaPredictor.Load(s_directory, decoder, ServingPrecision.Fp32);
        using var bf16 = PneumoniaPredictor.Load(s_directory, decoder, new ServingPrecision(InferencePrecision.Bf16, 0));
        Assert.Equal((InferencePrecision.Bf16, 0), (bf16.Precision, bf16.Bf16FromStage));
        var files = TestData.Images("test", "NORMAL", 24).Select(f => (f, false)).Concat(TestData.Images("test", "PNEUMONIA", 24).Select(f => (f, true))).ToList();
        var pixels = files.Select(f => fp32.Preprocessor.LoadModelPixels(File.ReadAllBytes(f.Item1))).ToList();

        var expected = fp32.PredictPixels(pixels);
        var actual = bf16.PredictPixels(pixels);
        var (heatmapped, _) = bf16.PredictWithHeatmap(File.ReadAllBytes(files[0].Item1));

        var labels = files.Select(f => f.Item2).ToArray();
        var aucFp32 = BinaryClassificationEvaluator.Evaluate(expected.Select(p => p.Probability).ToArray(), labels, fp32.Card.Threshold).RocAuc;
        var aucBf16 = BinaryClassificationEvaluator.Evaluate(actual.Select(p => p.Probability).ToArray(), labels, fp32.Card.Threshold).RocAuc;
        // On the whole test split (pneumonia bench-inference; evaluate --precision Bf16): fp32's labels on all 624
        // files, largest probability change 0.049.
        Assert.Equal(expected.Select(p => p.Label), actual.Select(p => p.Label));
        Assert.All(expected.Zip(actual), pair => Assert.InRange(Math.Abs(pair.First.Probability - pair.Second.Probability), 0, 0.05));
        Assert.InRange(aucBf16, aucFp32 - 0.005, aucFp32 + 0.005);
        Assert.Equal(actual[0].Probability, heatmapped.Probability, 4);
    }
}
