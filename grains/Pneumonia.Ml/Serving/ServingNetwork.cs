using Pneumonia.Ml.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pneumonia.Ml.Architectures;

namespace Pneumonia.Ml.Serving;

/// <summary>
/// A trained network prepared the way serving runs it (<see cref="PneumoniaNetwork.PrepareForInference"/>: eval mode,
/// the architecture's own speed-ups such as folded batch norms, then the stages from
/// <see cref="ServingPrecision.Bf16FromStage"/> in bfloat16; or in int8, its feature stages run by
/// <see cref="Int8FeatureStages"/>). Used by <see cref="PneumoniaPredictor"/> and by the training pipeline, so a model
/// card reports the answers users get.
/// </summary>
public sealed class ServingNetwork : IDisposable
{
    private readonly PneumoniaNetwork _network;
    private readonly Int8FeatureStages? _int8;

    private ServingNetwork(PneumoniaNetwork network, ServingPrecision precision, Int8FeatureStages? int8, Int8Quantization? quantization)
    {
        _network = network;
        Precision = precision;
        _int8 = int8;
        Quantization = quantization;
    }

    /// <summary>
    /// The precision the network computes in: the one asked for, except that int8 falls back to all-bf16 for a model
    /// without activation ranges or an architecture without a feature graph.
    /// </summary>
    public ServingPrecision Precision { get; }

    /// <summary>In int8, the activation ranges the feature stages were quantised with; else null.</summary>
    public Int8Quantization? Quantization { get; }

    /// <summary>The float32 linear head: weight [1, C], bias [1] (the class-activation map's weights).</summary>
    public Linear Head => _network.Head;

    /// <summary>How many pooled features the head reads (C): the channels of <see cref="FeatureMap"/>.</summary>
    public int FeatureCount => (int)_network.Head.weight!.shape[1];

    /// <summary>
    /// Takes ownership of a float32 <paramref name="network"/> and prepares it in place; it can no longer be trained.
    /// In int8 the activation ranges come from <paramref name="quantization"/> (a card's), else from a calibration
    /// pass over <paramref name="calibrationPixels"/> (uint8 [N,1,S,S], e.g. the validation images); with neither, or
    /// for an architecture without a feature graph, the network is served in all-bf16 (<see cref="Precision"/> says so).
    /// </summary>
    /// <param name="int8Threads">ONNX Runtime's threads for one int8 forward pass; 0 for one per core.</param>
    public static ServingNetwork Prepare(PneumoniaNetwork network, ServingPrecision precision, Int8Quantization? quantization = null,
        Tensor? calibrationPixels = null, int int8Threads = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(precision);
        if (precision.Precision == InferencePrecision.Int8)
        {
            if (network.HasFeatureGraph && (quantization is not null || calibrationPixels is { } pixels && pixels.shape[0] > 0))
            {
                network.PrepareForInference(null);
                quantization ??= Int8FeatureStages.Calibrate(network, calibrationPixels!, "validation", cancellationToken)!;
                var int8 = Int8FeatureStages.TryCreate(network, quantization, int8Threads)!;
                return new ServingNetwork(network, precision, int8, quantization);
            }

            precision = new ServingPrecision(InferencePrecision.Bf16, 0);
        }

        network.PrepareForInference(precision.Precision == InferencePrecision.Bf16 ? precision.Bf16FromStage : null);
        return new ServingNetwork(network, precision, null, null);
    }

    /// <summary>
    /// A prepared copy of <paramref name="network"/> (e.g. one still being trained); the original is untouched. In
    /// int8 its activation ranges are calibrated on <paramref name="calibrationPixels"/> (see <see cref="Prepare"/>).
    /// </summary>
    public static ServingNetwork CopyOf(PneumoniaNetwork network, ModelArchitecture architecture, ServingPrecision precision,
        Tensor? calibrationPixels = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        var copy = NetworkArchitectures.Create(architecture, loadPretrainedWeights: false);
        try
        {
            using (no_grad())
            {
                var source = network.state_dict();
                foreach (var (name, value) in copy.state_dict())
                    value.copy_(source[name]);
            }

            return Prepare(copy, precision, calibrationPixels: calibrationPixels, cancellationToken: cancellationToken);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>The last stage's feature map for grey byte images [N,1,S,S], in the precision of the last stage.</summary>
    public Tensor FeatureMap(Tensor bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (_int8 is not null) return _int8.FeatureMap(bytes);
        if (Precision.Precision == InferencePrecision.Fp32) return _network.FeatureMap(bytes.to_type(ScalarType.Float32));
        if (Precision.Bf16FromStage == 0) return _network.FeatureMap(bytes.to_type(ScalarType.BFloat16));
        var lastFloatStage = Precision.Bf16FromStage - 1;
        using var early = _network.FeaturesThrough(bytes.to_type(ScalarType.Float32), lastFloatStage);
        using var converted = early.to_type(ScalarType.BFloat16);
        return _network.FeaturesFrom(converted, lastFloatStage);
    }

    /// <summary>
    /// The output of feature stages 0..<paramref name="lastStage"/> for grey images [N,1,S,S] given as floats (0..255),
    /// e.g. augmented copies: what a training run with frozen stages caches. In the precision of that stage.
    /// </summary>
    public Tensor FeaturesThrough(Tensor greyFloats, int lastStage)
    {
        ArgumentNullException.ThrowIfNull(greyFloats);
        var bf16 = Precision.Precision == InferencePrecision.Bf16 && Precision.Bf16FromStage == 0;
        using var input = greyFloats.to_type(bf16 ? ScalarType.BFloat16 : ScalarType.Float32);
        return _network.FeaturesThrough(input, lastStage);
    }

    /// <summary>Logits [N] (float32) from a feature map: average pool and the float head, as the network's forward does in eval mode.</summary>
    public Tensor Logits(Tensor features)
    {
        using var pooled = Pool(features);
        return HeadLogits(pooled);
    }

    /// <summary>The pooled features [N, C] (float32) the head reads: the feature map averaged over its positions.</summary>
    public static Tensor Pool(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        using var pooled = features.mean([2, 3]);
        return pooled.to_type(ScalarType.Float32);
    }

    /// <summary>Logits [N] (float32) from pooled features [N, C].</summary>
    public Tensor HeadLogits(Tensor pooled)
    {
        ArgumentNullException.ThrowIfNull(pooled);
        using var logits = _network.Head.forward(pooled);
        return logits.squeeze(1);
    }

    /// <summary>
    /// The pooled features of every image of <paramref name="pixels"/> (uint8 [N,1,S,S]), row-major [N, C], in passes of
    /// at most <paramref name="batchSize"/>: what <see cref="OutOfDistributionDetector"/> is fitted on.
    /// </summary>
    public float[] PooledFeatures(Tensor pixels, int batchSize = 64, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var count = pixels.shape[0];
        var channels = FeatureCount;
        var features = new float[count * channels];
        using var noGrad = no_grad();
        for (long start = 0; start < count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var length = Math.Min(batchSize, count - start);
            Pool(FeatureMap(pixels.narrow(0, start, length))).data<float>().CopyTo(features, (int)(start * channels));
        }

        return features;
    }

    /// <summary>
    /// One logit per row of <paramref name="pooled"/> (row-major [N, C], from <see cref="PooledFeatures"/>): the same
    /// logits as <see cref="PredictLogits"/> on those images, without running the stages again.
    /// </summary>
    public float[] HeadLogits(float[] pooled)
    {
        ArgumentNullException.ThrowIfNull(pooled);
        if (pooled.Length % FeatureCount != 0) throw new ArgumentException($"not a whole number of {FeatureCount}-feature rows", nameof(pooled));
        using var noGrad = no_grad();
        using var rows = tensor(pooled, [pooled.Length / FeatureCount, FeatureCount]);
        using var logits = HeadLogits(rows);
        return logits.data<float>().ToArray();
    }

    /// <summary>One logit per image of <paramref name="pixels"/> (uint8 [N,1,S,S]), in passes of at most <paramref name="batchSize"/>.</summary>
    public float[] PredictLogits(Tensor pixels, int batchSize = 64, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        return NetworkScoring.BatchedLogits(pixels, batch => Logits(FeatureMap(batch)), batchSize, cancellationToken);
    }

    public void Dispose()
    {
        _int8?.Dispose();
        _network.Dispose();
    }
}
