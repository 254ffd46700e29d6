using Pneumonia.Ml.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Ml.Tests.Training;

public sealed class HeatmapTests
{
    [Fact]
    public void Heatmap_prediction_equals_the_plain_prediction_and_the_overlay_keeps_the_aspect_ratio()
    {
        using var directory = new TempDirectory();
        TinyModel.Create(directory.Path);
        using var predictor = PneumoniaPredictor.Load(directory.Path, new XrayImageDecoder());

        // A non-square X-ray: a real one stretched to 600 x 400 and saved as PNG.
        using var xray = Image.Load<L8>(TestData.Images("test", "PNEUMONIA", 1)[0]);
        xray.Mutate(c => c.Resize(600, 400));
        using var encoded = new MemoryStream();
        xray.SaveAsPng(encoded);
        var bytes = encoded.ToArray();

        var plain = predictor.Predict(bytes);
        var (withHeatmap, png) = predictor.PredictWithHeatmap(bytes);

        Assert.Equal(plain.Label, withHeatmap.Label);
        Assert.Equal(plain.Probability, withHeatmap.Probability, 5);
        using var overlay = Image.Load<Rgb24>(png);
        Assert.Equal(512, overlay.Width);
        Assert.Equal(341, overlay.Height);
    }
}
