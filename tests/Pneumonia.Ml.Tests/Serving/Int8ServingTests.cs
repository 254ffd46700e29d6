using Microsoft.ML.OnnxRuntime;
using Pneumonia.Ml.Architectures;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Packages;
using Pneumonia.Ml.Serving;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Tests.Serving;

/// <summary>
/// Int8 serving: the exported feature graph computes what the TorchSharp network computes, a trained model carries its
/// activation ranges and answers in int8 as it does in float32, and a card without usable ranges is handled. The
/// bundled model in int8: <see cref="Training.BundledModelTests"/>.
/// </summary>
public sealed class Int8ServingTests
{
    [Theory]
    [InlineData(1, 64)]
    [InlineData(3, 67)] // odd: the CNTK export's asymmetric padding reads other windows than symmetric padding would
    [InlineData(4, 96)] // the whole ResNet-18, as a model with bf16 weights can keep it
    public void The_float_feature_graph_in_onnx_runtime_computes_the_torchsharp_feature_map(int stages, int size)
    {
        using var network = NetworkArchitectures.Create(ResNet18Architecture.Instance.Describe(stages, dropout: 0, pretrained: true), loadPretrainedWeights: true);
        network.PrepareForInference(null);
        var builder = FeatureGraphBuilder.ForCalibration();
        Assert.True(network.TryDescribeFeatureGraph(builder, out var featureMap));
        var model = builder.Finish(featureMap);

        var pixels = new byte[2 * size * size];
        new Random(7).NextBytes(pixels);
        using var input = tensor(pixels, [2L, 1, size, size], ScalarType.Byte);
        using var noGrad = no_grad();
        using var expected = network.FeatureMap(input.to_type(ScalarType.Float32));
        using var session = new InferenceSession(model);
        using var value = OrtValue.CreateTensorValueFromMemory(pixels.Select(p => (float)p).ToArray(), [2L, 1, size, size]);
        using var results = session.Run(new RunOptions(), [FeatureGraphBuilder.InputName], [value], [FeatureGraphBuilder.FeatureMapName]);

        Assert.Equal(expected.shape, results[0].GetTensorTypeAndShape().Shape);
        var actual = results[0].GetTensorDataAsSpan<float>().ToArray();
        var reference = expected.contiguous().data<float>().ToArray();
        var largest = reference.Max(Math.Abs);
        Assert.All(actual.Zip(reference), pair => Assert.InRange(Math.Abs(pair.First - pair.Second), 0, 1e-4 * largest + 1e-4));
        // Every quantisation point is an output of the calibrating graph, named as the weights are.
        Assert.Equal(["input", "stem", "layer1.0.conv1", "layer1.0.conv2", "layer1.0"], builder.Points.Take(5));
        Assert.Equal(2 + 6 + (stages >= 2 ? 7 : 0) + (stages >= 3 ? 7 : 0) + (stages >= 4 ? 10 : 0), builder.Points.Count); // the export's stage 4 has 3 blocks
    }

    [Fact]
    public void A_trained_model_carries_its_activation_ranges_and_answers_in_int8_as_in_float32()
    {
        using var directory = new TempDirectory();
        var card = TinyModel.Create(directory.Path);
        var decoder = new XrayImageDecoder();

        // The pipeline served it in int8 to fit calibration and threshold: the card says so and keeps the ranges.
        Assert.Equal(ServingPrecision.Int8, card.EvaluatedPrecision);
        Assert.NotNull(card.Quantization);
        Assert.Equal(15, card.Quantization!.Ranges.Count); // input, stem, 6 in stage 1, 7 in stage 2
        Assert.All(card.Quantization.Ranges, r => Assert.True(r.Max > r.Min, $"{r.Point}: empty range"));
        Assert.Contains("16 validation images", card.Quantization.CalibrationImages);

        using var int8 = PneumoniaPredictor.Load(directory.Path, decoder);
        using var fp32 = PneumoniaPredictor.Load(directory.Path, decoder, ServingPrecision.Fp32);
        Assert.Equal(InferencePrecision.Int8, int8.Precision);
        var pixels = TestData.Images("test", "NORMAL", 12).Concat(TestData.Images("test", "PNEUMONIA", 12))
            .Select(f => fp32.Preprocessor.LoadModelPixels(File.ReadAllBytes(f))).ToList();
        var expected = fp32.PredictPixels(pixels);
        var actual = int8.PredictPixels(pixels);
        // Ranges from 16 calibration images move this 64 px model's probabilities by up to 0.06; a wrong scale, zero
        // point or padding in the graph moves them by far more (and the float graph is checked to 1e-4 above).
        Assert.All(expected.Zip(actual), pair => Assert.InRange(Math.Abs(pair.First.Probability - pair.Second.Probability), 0, 0.1));
        // The out-of-distribution check reads the int8 features, which it was fitted on.
        Assert.All(actual, p => Assert.NotNull(p.Distribution));
    }

    [Fact]
    public void A_card_without_activation_ranges_is_served_in_bfloat16_and_ranges_of_another_graph_are_refused()
    {
        using var directory = new TempDirectory();
        var card = TinyModel.Create(directory.Path, epochs: 1);
        var decoder = new XrayImageDecoder();
        var image = File.ReadAllBytes(TestData.Images("test", "PNEUMONIA", 1).Single());

        ModelPackage.WriteCard(card with { Quantization = null }, directory.Path);
        using (var predictor = PneumoniaPredictor.Load(directory.Path, decoder))
        {
            Assert.Equal((InferencePrecision.Bf16, 0), (predictor.Precision, predictor.Bf16FromStage));
            Assert.InRange(predictor.Predict(image).Probability, 0, 1);
        }

        var missing = card.Quantization! with { Ranges = [.. card.Quantization!.Ranges.Where(r => r.Point != "layer2.0.downsample")] };
        ModelPackage.WriteCard(card with { Quantization = missing }, directory.Path);
        var error = Assert.Throws<InvalidDataException>(() => PneumoniaPredictor.Load(directory.Path, decoder));
        Assert.Contains("layer2.0.downsample", error.Message);
    }
}
