using Pneumonia.Ml.Images;
using Pneumonia.Ml.Models;

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
}
