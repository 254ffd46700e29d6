using Pneumonia.Ml.Images;
using Pneumonia.Ml.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Models;

/// <summary>
/// A loaded model ready to classify: decode and preprocess with the card's parameters (the same code path training
/// used), one batched forward pass, calibration, threshold. Safe to call from several threads at once.
/// </summary>
public sealed class PneumoniaPredictor : IDisposable
{
    private readonly PneumoniaNetwork _network;

    private PneumoniaPredictor(ModelCard card, PneumoniaNetwork network, XrayPreprocessor preprocessor, InferencePrecision precision, int bf16FromStage)
    {
        Card = card;
        _network = network;
        Preprocessor = preprocessor;
        Precision = precision;
        Bf16FromStage = bf16FromStage;
    }

    public ModelCard Card { get; }

    public XrayPreprocessor Preprocessor { get; }

    /// <summary>The number format the forward pass computes in.</summary>
    public InferencePrecision Precision { get; }

    /// <summary>With <see cref="InferencePrecision.Bf16"/>: the first backbone stage computed in bfloat16 (0 = the stem).</summary>
    public int Bf16FromStage { get; }

    /// <summary>
    /// Loads the model in <paramref name="modelDirectory"/>. With <see cref="InferencePrecision.Bf16"/> the weights of
    /// backbone stages <paramref name="bf16FromStage"/> (0 = the stem and the input centring) onwards
    /// are converted once here and run in bfloat16; the stages before and the head stay float32.
    /// </summary>
    public static PneumoniaPredictor Load(string modelDirectory, XrayImageDecoder decoder, InferencePrecision precision = InferencePrecision.Fp32, int bf16FromStage = 0)
    {
        var card = ModelPackage.ReadCard(modelDirectory);
        var network = ModelPackage.LoadNetwork(card, modelDirectory);
        // Serving never trains this copy: each conv/BN pair becomes one convolution (about a fifth faster).
        network.Backbone.FoldBatchNorm();
        if (precision == InferencePrecision.Bf16)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(bf16FromStage);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(bf16FromStage, network.Backbone.Stages + 1);
            if (bf16FromStage == 0)
            {
                network.to(ScalarType.BFloat16);
                // The head stays float: in bfloat16 the logit itself would be rounded to 3 significant digits.
                network.Head.to(ScalarType.Float32);
            }
            else
            {
                network.Backbone.ConvertStages(bf16FromStage, ScalarType.BFloat16);
            }
        }

        return new PneumoniaPredictor(card, network, new XrayPreprocessor(card.Preprocessing, decoder), precision, bf16FromStage);
    }

    /// <summary>Classifies one encoded image (JPEG or PNG); throws <see cref="InvalidImageException"/> for bad input.</summary>
    public XrayPrediction Predict(byte[] imageBytes) => PredictPixels(new[] { Preprocessor.LoadModelPixels(imageBytes) })[0];

    /// <summary>
    /// Classifies one encoded image and draws where the model saw pneumonia (class-activation map) over it as a PNG.
    /// One forward pass: the logit is computed from the same feature map the heatmap shows.
    /// </summary>
    public (XrayPrediction Prediction, byte[] HeatmapPng) PredictWithHeatmap(byte[] imageBytes)
    {
        using var image = Preprocessor.Decoder.DecodeGrey(imageBytes);
        var size = Card.Preprocessing.InputSize;
        var pixels = Preprocessor.ToModelPixels(image);
        float logit;
        float[] activation;
        long height, width;
        using (no_grad())
        using (NewDisposeScope())
        {
            var computed = FeatureMap(tensor(pixels, new long[] { 1, 1, size, size }, ScalarType.Byte)); // [1, C, h, w]
            logit = Logits(computed).item<float>();
            var features = computed[0].to_type(ScalarType.Float32); // [C, h, w]
            (height, width) = (features.shape[1], features.shape[2]);
            var weights = _network.Head.weight!.to_type(ScalarType.Float32).view(-1, 1, 1); // [C, 1, 1]
            var map = (features * weights).sum(dim: 0); // [h, w]: the head applied at every position
            activation = map.flatten().data<float>().ToArray();
        }
        var prediction = XrayPrediction.From(Card.Calibration.Probability(logit), Card.Threshold, Card.Version);
        return (prediction, ClassActivationHeatmap.RenderPng(image, activation, (int)height, (int)width));
    }

    /// <summary>Classifies already preprocessed images (each InputSize x InputSize grey bytes) in one forward pass.</summary>
    public IReadOnlyList<XrayPrediction> PredictPixels(IReadOnlyList<byte[]> modelPixels)
    {
        ArgumentNullException.ThrowIfNull(modelPixels);
        if (modelPixels.Count == 0) return Array.Empty<XrayPrediction>();
        var size = Card.Preprocessing.InputSize;
        var buffer = new byte[modelPixels.Count * size * size];
        for (var i = 0; i < modelPixels.Count; i++)
        {
            if (modelPixels[i].Length != size * size)
                throw new ArgumentException($"image {i} has {modelPixels[i].Length} pixels, the model takes {size}x{size}");
            modelPixels[i].CopyTo(buffer, i * size * size);
        }
        float[] logits;
        using (no_grad())
        using (NewDisposeScope())
        {
            var features = FeatureMap(tensor(buffer, new long[] { modelPixels.Count, 1, size, size }, ScalarType.Byte));
            logits = Logits(features).data<float>().ToArray();
        }
        return logits
            .Select(logit => XrayPrediction.From(Card.Calibration.Probability(logit), Card.Threshold, Card.Version))
            .ToArray();
    }

    /// <summary>The last stage's feature map for grey byte images [N,1,S,S], in the precision of the last stage.</summary>
    private Tensor FeatureMap(Tensor bytes)
    {
        if (Precision == InferencePrecision.Fp32) return _network.FeatureMap(bytes.to_type(ScalarType.Float32));
        if (Bf16FromStage == 0) return _network.FeatureMap(bytes.to_type(ScalarType.BFloat16));
        var lastFloatStage = Bf16FromStage - 1;
        var early = _network.FeaturesThrough(bytes.to_type(ScalarType.Float32), lastFloatStage).to_type(ScalarType.BFloat16);
        return _network.Backbone.ForwardFrom(early, lastFloatStage);
    }

    /// <summary>Logits [N] from a feature map: average pool and the (float) head, as the network's forward does in eval mode.</summary>
    private Tensor Logits(Tensor features) => _network.Head.forward(features.mean([2, 3]).to_type(ScalarType.Float32)).squeeze(1);

    public void Dispose() => _network.Dispose();
}
