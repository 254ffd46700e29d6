using Microsoft.ML.OnnxRuntime;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Pneumonia.Ml.Architectures;

namespace Pneumonia.Ml.Tests.Architectures;

/// <summary>The rebuilt backbone with imported weights must reproduce ONNX Runtime on the original graphs.</summary>
public sealed class ResNet18ParityTests(ITestOutputHelper output)
{
    private const int Size = 224;
    private const int FeatureCount = 512;
    private static readonly string[] Labels = ["NORMAL", "PNEUMONIA"];

    [Fact]
    public void Preprocessing_graph_equals_bgr_minus_mean_image()
    {
        var preprocessing = ImageNetPreprocessing.Load(ImageNetPreprocessing.DefaultOnnxPath);
        using var session = CreateSession(ImageNetPreprocessing.DefaultOnnxPath);

        var maxDiff = 0f;
        foreach (var rgb in LoadRgbPlanes())
        {
            var expected = RunSingle(session, rgb);
            var actual = BgrMinusMeanImage(rgb, preprocessing);
            maxDiff = Math.Max(maxDiff, MaxAbsDiff(expected, actual));
        }
        output.WriteLine($"ResNetPreprocess.onnx vs own BGR - mean image: max abs diff {maxDiff:G3}");
        output.WriteLine($"Channel means (B,G,R): {string.Join(", ", preprocessing.ChannelMeans().Select(m => m.ToString("F3")))}");
        Assert.Equal(0f, maxDiff);
        Assert.Equal([1L, 3, Size, Size], preprocessing.MeanImageShape);
    }

    [Fact]
    public void Backbone_with_imported_weights_matches_onnx_runtime_features()
    {
        var preprocessing = ImageNetPreprocessing.Load(ImageNetPreprocessing.DefaultOnnxPath);
        var inputs = LoadRgbPlanes().Select(rgb => BgrMinusMeanImage(rgb, preprocessing)).ToList();

        using var session = CreateSession(ImageNetResNet18Weights.DefaultOnnxPath);
        var expected = inputs.SelectMany(input => RunSingle(session, input)).ToArray();

        using var backbone = new ResNetBackbone(stages: 4);
        ImageNetResNet18Weights.LoadInto(backbone, ImageNetResNet18Weights.DefaultOnnxPath);
        backbone.eval();
        float[] actual;
        using (NewDisposeScope())
        using (no_grad())
        {
            using var batch = tensor(inputs.SelectMany(i => i).ToArray(), [inputs.Count, 3, Size, Size]);
            actual = backbone.forward(batch).mean([2, 3]).data<float>().ToArray();
        }

        var maxDiff = MaxAbsDiff(expected, actual);
        output.WriteLine($"{inputs.Count} X-rays, {FeatureCount} features each: max abs diff {maxDiff:G3}, " +
            $"largest feature {expected.Max(Math.Abs):F3}, mean feature {expected.Average():F4}");
        Assert.Equal(inputs.Count * FeatureCount, actual.Length);
        Assert.True(maxDiff < 1e-4f, $"max abs diff {maxDiff}");
    }

    [Fact]
    public void Truncated_backbone_loads_the_same_weights_for_the_stages_it_keeps()
    {
        using var scope = NewDisposeScope();
        using var full = new ResNetBackbone(stages: 4);
        using var truncated = new ResNetBackbone(stages: 2);
        ImageNetResNet18Weights.LoadInto(full, ImageNetResNet18Weights.DefaultOnnxPath);
        ImageNetResNet18Weights.LoadInto(truncated, ImageNetResNet18Weights.DefaultOnnxPath);

        var fullState = full.state_dict();
        var truncatedState = truncated.state_dict();
        Assert.Contains("layer2.1.bn2.running_var", truncatedState.Keys);
        Assert.DoesNotContain("layer3.0.conv1.weight", truncatedState.Keys);
        Assert.All(truncatedState, entry => Assert.True(entry.Value.equal(fullState[entry.Key]).all().item<bool>(), entry.Key));
    }

    // Two normal and two pneumonia test images, as R,G,B planes of 0..255 values like ResNetPreprocess.onnx takes them.
    private static IEnumerable<float[]> LoadRgbPlanes()
    {
        var test = Path.Combine(TestData.ChestXrayRoot, "test");
        var files = Labels.SelectMany(label => Directory.EnumerateFiles(Path.Combine(test, label)).Order(StringComparer.Ordinal).Take(2));
        foreach (var file in files)
        {
            using var image = Image.Load<Rgb24>(file);
            Assert.Equal((Size, Size), (image.Width, image.Height));
            var pixels = new Rgb24[Size * Size];
            image.CopyPixelDataTo(pixels);
            var planes = new float[3 * Size * Size];
            for (var i = 0; i < pixels.Length; i++)
            {
                planes[i] = pixels[i].R;
                planes[pixels.Length + i] = pixels[i].G;
                planes[(2 * pixels.Length) + i] = pixels[i].B;
            }
            yield return planes;
        }
    }

    private static float[] BgrMinusMeanImage(float[] rgb, ImageNetPreprocessing preprocessing)
    {
        var plane = Size * Size;
        var mean = preprocessing.MeanImage;
        var bgr = new float[rgb.Length];
        for (var c = 0; c < 3; c++)
        {
            for (var i = 0; i < plane; i++)
                bgr[(c * plane) + i] = rgb[((2 - c) * plane) + i] - mean[(c * plane) + i];
        }
        return bgr;
    }

    private static InferenceSession CreateSession(string path)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        return new InferenceSession(path, options);
    }

    // Both graphs fix the batch at 1.
    private static float[] RunSingle(InferenceSession session, float[] input)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, Size, Size]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, session.InputNames, [value], session.OutputNames);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static float MaxAbsDiff(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        return expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
    }
}
