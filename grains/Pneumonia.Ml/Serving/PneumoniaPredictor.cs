using Pneumonia.Ml.Images;
using static TorchSharp.torch;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Ml.Serving;

/// <summary>
/// A loaded model ready to classify: decode and preprocess with the card's parameters (the same code path training
/// used), one batched forward pass, calibration, threshold. Safe to call from several threads at once.
/// </summary>
public sealed class PneumoniaPredictor : IDisposable
{
    private readonly ServingNetwork _network;

    private PneumoniaPredictor(ModelCard card, ServingNetwork network, XrayPreprocessor preprocessor)
    {
        Card = card;
        _network = network;
        Preprocessor = preprocessor;
    }

    public ModelCard Card { get; }

    public XrayPreprocessor Preprocessor { get; }

    /// <summary>How the forward pass computes (int8 asked for a card without activation ranges gives all-bf16).</summary>
    public ServingPrecision Serving => _network.Precision;

    /// <summary>The number format the forward pass computes in (<see cref="Serving"/>'s).</summary>
    public InferencePrecision Precision => Serving.Precision;

    /// <summary>With <see cref="InferencePrecision.Bf16"/>: the first backbone stage computed in bfloat16 (0 = the stem).</summary>
    public int Bf16FromStage => Serving.Bf16FromStage;

    /// <summary>
    /// Loads the model in <paramref name="modelDirectory"/>, prepared as <see cref="ServingNetwork"/> describes: batch
    /// norms folded, and in <paramref name="precision"/> (default <see cref="ServingPrecision.Default"/>, as the server);
    /// int8 with the card's activation ranges, or all-bf16 for a card without them.
    /// </summary>
    /// <param name="int8Threads">ONNX Runtime's threads for one int8 forward pass; 0 for one per core.</param>
    public static PneumoniaPredictor Load(string modelDirectory, XrayImageDecoder decoder, ServingPrecision? precision = null, int int8Threads = 0)
    {
        var card = ModelPackage.ReadCard(modelDirectory);
        // A card that could answer against its own probability (a falling calibration, a threshold of 0) is never served.
        if (!(card.Calibration.Slope > 0 && double.IsFinite(card.Calibration.Slope) && double.IsFinite(card.Calibration.Intercept)))
            throw new InvalidDataException($"model {card.Version}: calibration slope {card.Calibration.Slope} and intercept {card.Calibration.Intercept} must be finite with a slope above 0");
        if (!(card.Threshold > 0 && card.Threshold <= 1))
            throw new InvalidDataException($"model {card.Version}: threshold {card.Threshold} must be in (0, 1]");
        var network = ServingNetwork.Prepare(ModelPackage.LoadNetwork(card, modelDirectory), precision ?? ServingPrecision.Default, card.Quantization, int8Threads: int8Threads);
        return new PneumoniaPredictor(card, network, new XrayPreprocessor(card.Preprocessing, decoder));
    }

    /// <summary>Classifies one encoded image (JPEG or PNG); throws <see cref="InvalidImageException"/> for bad input.</summary>
    public XrayPrediction Predict(byte[] imageBytes) => PredictPixels(new[] { Preprocessor.LoadModelPixels(imageBytes) })[0];

    /// <summary>
    /// Classifies one encoded image and draws where the model saw pneumonia (class-activation map) over it as a PNG.
    /// One forward pass: the logit is computed from the same feature map the heatmap shows.
    /// </summary>
    public (XrayPrediction Prediction, byte[] HeatmapPng) PredictWithHeatmap(byte[] imageBytes)
    {
        // The model sees exactly what Predict gives it; the overlay is drawn on a second decode, reduced only as far
        // as the overlay's size allows.
        var pixels = Preprocessor.LoadModelPixels(imageBytes);
        using var image = Preprocessor.Decoder.DecodeGrey(imageBytes, ClassActivationHeatmap.MaxSide);
        var size = Card.Preprocessing.InputSize;
        float logit;
        DistributionCheck? check;
        float[] activation;
        long height, width;
        using (no_grad())
        using (NewDisposeScope())
        {
            var computed = _network.FeatureMap(tensor(pixels, new long[] { 1, 1, size, size }, ScalarType.Byte)); // [1, C, h, w]
            var pooled = ServingNetwork.Pool(computed);
            logit = _network.HeadLogits(pooled).item<float>();
            check = Card.OutOfDistribution?.Check(pooled.data<float>().ToArray());
            var features = computed[0].to_type(ScalarType.Float32); // [C, h, w]
            (height, width) = (features.shape[1], features.shape[2]);
            var weights = _network.Head.weight!.to_type(ScalarType.Float32).view(-1, 1, 1); // [C, 1, 1]
            var map = (features * weights).sum(dim: 0); // [h, w]: the head applied at every position
            activation = map.flatten().data<float>().ToArray();
        }
        var prediction = XrayPrediction.From(Card.Calibration.Probability(logit), Card.Threshold, Card.Version) with { Distribution = check };
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
        float[]? pooledFeatures = null;
        using (no_grad())
        using (NewDisposeScope())
        {
            var features = _network.FeatureMap(tensor(buffer, new long[] { modelPixels.Count, 1, size, size }, ScalarType.Byte));
            var pooled = ServingNetwork.Pool(features);
            logits = _network.HeadLogits(pooled).data<float>().ToArray();
            if (Card.OutOfDistribution is not null) pooledFeatures = pooled.data<float>().ToArray();
        }
        var channels = pooledFeatures is null ? 0 : pooledFeatures.Length / logits.Length;
        return logits
            .Select((logit, i) => XrayPrediction.From(Card.Calibration.Probability(logit), Card.Threshold, Card.Version) with
            {
                Distribution = pooledFeatures is null ? null : Card.OutOfDistribution!.Check(pooledFeatures.AsSpan(i * channels, channels)),
            })
            .ToArray();
    }

    public void Dispose() => _network.Dispose();
}
