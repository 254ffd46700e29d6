using static TorchSharp.torch;

namespace Pneumonia.Ml.Architectures;

/// <summary>
/// Builds the ONNX graph of a prepared network's feature stages (grey pixels 0..255 as floats [N,1,S,S] in, the last
/// stage's feature map out), for ONNX Runtime. An architecture describes its stages with these few operations
/// (<see cref="PneumoniaNetwork.TryDescribeFeatureGraph"/>) and marks its quantisation points with
/// <see cref="Activation"/>; the builder makes one of two graphs from that one description:
/// <list type="bullet">
/// <item><b>calibrating</b> (<see cref="ForCalibration"/>): float32 throughout, every quantisation point also a graph
/// output, so a pass over calibration images measures each point's range;</item>
/// <item><b>int8</b> (<see cref="ForInt8"/>): ONNX's QDQ form, which ONNX Runtime turns into int8 kernels: every point
/// quantised to uint8 per tensor from its stored range, every convolution weight to int8 per output channel
/// (symmetric), every bias to int32 at the input scale times the weight scale.</item>
/// </list>
/// </summary>
public sealed class FeatureGraphBuilder
{
    /// <summary>The graph input: grey pixels 0..255 as float32 [N,1,H,W].</summary>
    public const string InputName = "grey";

    /// <summary>The graph output: the last stage's feature map [N,C,h,w], float32.</summary>
    public const string FeatureMapName = "feature_map";

    private readonly OnnxModelWriter _writer = new();
    private readonly Dictionary<string, ActivationRange>? _ranges;
    private readonly List<string> _points = [];
    // The uint8 scale of each quantised tensor a convolution may read: its bias is quantised at input scale x weight scale.
    private readonly Dictionary<string, float> _scales = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _pointTensors = new(StringComparer.Ordinal);
    private int _next;

    private FeatureGraphBuilder(IReadOnlyList<ActivationRange>? ranges)
    {
        _ranges = ranges?.ToDictionary(r => r.Point, StringComparer.Ordinal);
        // Height and width are left free: the stages are convolutional, so one graph serves any input size.
        _writer.AddInput(InputName, "batch", 1L, "height", "width");
    }

    /// <summary>A float graph whose every quantisation point is also an output (<see cref="OutputOf"/>).</summary>
    public static FeatureGraphBuilder ForCalibration() => new(null);

    /// <summary>The int8 (QDQ) graph, each quantisation point at its range in <paramref name="ranges"/>.</summary>
    public static FeatureGraphBuilder ForInt8(IReadOnlyList<ActivationRange> ranges) =>
        new(ranges ?? throw new ArgumentNullException(nameof(ranges)));

    /// <summary>Whether this builds the int8 graph.</summary>
    public bool Quantizes => _ranges is not null;

    /// <summary>The quantisation points so far, in graph order; in a calibrating graph each is the name of a graph output.</summary>
    public IReadOnlyList<string> Points => _points;

    /// <summary>x minus a constant broadcast over the batch (e.g. [1,3,1,1] per-channel means: a grey [N,1,S,S] input becomes [N,3,S,S]).</summary>
    public string Subtract(string x, float[] values, IReadOnlyList<long> dims) => Node("Sub", [x, Constant("sub", dims, values)]);

    /// <summary>
    /// A convolution with bias, pads in ONNX order (top, left, bottom, right). In the int8 graph its input must be a
    /// quantisation point's output (or a max-pool of one).
    /// </summary>
    public string Conv(string x, Tensor weight, Tensor bias, long stride, IReadOnlyList<long> pads)
    {
        ArgumentNullException.ThrowIfNull(weight);
        ArgumentNullException.ThrowIfNull(bias);
        using var contiguousWeight = weight.to_type(ScalarType.Float32).contiguous();
        using var contiguousBias = bias.to_type(ScalarType.Float32).contiguous();
        var dims = contiguousWeight.shape;
        var w = contiguousWeight.data<float>().ToArray();
        var b = contiguousBias.data<float>().ToArray();
        var kernel = dims[2];
        (string Name, object Value)[] attributes = [("kernel_shape", new long[] { kernel, dims[3] }), ("strides", new long[] { stride, stride }), ("pads", pads.ToArray())];
        if (_ranges is null)
            return Node("Conv", [x, Constant("w", dims, w), Constant("b", [b.Length], b)], attributes);

        if (!_scales.TryGetValue(x, out var inputScale))
            throw new InvalidOperationException($"an int8 convolution reads {x}, which is not quantised: put an Activation before it");
        var channels = (int)dims[0];
        var perChannel = w.Length / channels;
        var weightScales = new float[channels];
        var quantised = new sbyte[w.Length];
        var biasScales = new float[channels];
        var quantisedBias = new int[channels];
        for (var c = 0; c < channels; c++)
        {
            var span = w.AsSpan(c * perChannel, perChannel);
            var largest = 0f;
            foreach (var v in span) largest = Math.Max(largest, Math.Abs(v));
            // Symmetric in [-127, 127], as ONNX Runtime's quantiser does for VNNI (no -128: its u8s8 kernels may overflow on it).
            weightScales[c] = largest > 0 ? largest / 127f : 1f;
            for (var i = 0; i < perChannel; i++)
                quantised[c * perChannel + i] = (sbyte)Math.Clamp(MathF.Round(span[i] / weightScales[c]), -127, 127);
            biasScales[c] = inputScale * weightScales[c];
            quantisedBias[c] = (int)Math.Clamp(Math.Round(b[c] / (double)biasScales[c]), int.MinValue, int.MaxValue);
        }
        var dequantisedWeight = Node("DequantizeLinear",
            [Constant("w_q", dims, quantised), Constant("w_scale", [channels], weightScales), Constant("w_zero", [channels], new sbyte[channels])], ("axis", 0L));
        var dequantisedBias = Node("DequantizeLinear",
            [Constant("b_q", [channels], quantisedBias), Constant("b_scale", [channels], biasScales), Constant("b_zero", [channels], new int[channels])], ("axis", 0L));
        return Node("Conv", [x, dequantisedWeight, dequantisedBias], attributes);
    }

    public string Relu(string x) => Node("Relu", [x]);

    public string Add(string a, string b) => Node("Add", [a, b]);

    /// <summary>A max-pool, pads in ONNX order. Padding never wins the max. Keeps its input's quantisation.</summary>
    public string MaxPool(string x, long kernel, long stride, IReadOnlyList<long> pads)
    {
        var pooled = Node("MaxPool", [x], ("kernel_shape", new long[] { kernel, kernel }), ("strides", new long[] { stride, stride }), ("pads", pads.ToArray()));
        if (_scales.TryGetValue(x, out var scale)) _scales[pooled] = scale;
        return pooled;
    }

    /// <summary>
    /// A quantisation point named <paramref name="point"/> (unique, stable: cards store ranges by it). Calibrating: x
    /// itself, also made a graph output. Int8: x quantised to uint8 at the point's range and dequantised again, which
    /// ONNX Runtime fuses into the int8 operators on either side.
    /// </summary>
    public string Activation(string point, string x)
    {
        if (_points.Contains(point)) throw new ArgumentException($"quantisation point {point} is already in the graph", nameof(point));
        _points.Add(point);
        if (_ranges is null)
        {
            _writer.AddOutput(x);
            _pointTensors[point] = x;
            return x;
        }

        if (!_ranges.TryGetValue(point, out var range))
            throw new InvalidDataException($"the int8 quantisation has no range for the point {point}: the card was calibrated on another graph");
        // The range always holds 0, so that 0 (ReLU's floor, the padding) is exact.
        var low = Math.Min(range.Min, 0f);
        var high = Math.Max(range.Max, 0f);
        var scale = high > low ? (high - low) / 255f : 1f;
        var zero = (byte)Math.Clamp(MathF.Round(-low / scale), 0, 255);
        var scaleName = Constant("scale", [], [scale]);
        var zeroName = Constant("zero", [], [zero]);
        var quantised = Node("QuantizeLinear", [x, scaleName, zeroName]);
        var dequantised = Node("DequantizeLinear", [quantised, scaleName, zeroName]);
        _scales[dequantised] = scale;
        return dequantised;
    }

    /// <summary>In a calibrating graph, the output name of each point.</summary>
    public string OutputOf(string point) => _pointTensors[point];

    /// <summary>The serialised model with <paramref name="featureMap"/> as the output <see cref="FeatureMapName"/>.</summary>
    public byte[] Finish(string featureMap)
    {
        _writer.AddNode("Identity", [featureMap], [FeatureMapName], Unique("identity"));
        _writer.AddOutput(FeatureMapName);
        return _writer.ToBytes(Quantizes ? "feature-stages-int8" : "feature-stages-calibrating");
    }

    private string Node(string opType, string[] inputs, params (string Name, object Value)[] attributes)
    {
        var output = Unique(opType);
        _writer.AddNode(opType, inputs, [output], output, attributes);
        return output;
    }

    private string Constant<T>(string prefix, IReadOnlyList<long> dims, T[] values) where T : unmanaged
    {
        var name = Unique(prefix);
        _writer.AddInitializer(name, dims, values);
        return name;
    }

    private string Unique(string prefix) => $"{prefix}_{_next++}";
}
