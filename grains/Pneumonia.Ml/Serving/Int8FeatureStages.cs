using Microsoft.ML.OnnxRuntime;
using Pneumonia.Ml.Architectures;
using Pneumonia.Ml.Data;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Serving;

/// <summary>
/// A network's feature stages in int8 through ONNX Runtime: the graph <see cref="FeatureGraphBuilder.ForInt8"/> makes
/// from the prepared float32 weights and the card's activation ranges. ONNX Runtime fuses each convolution with its
/// bias, ReLU and residual add into int8 kernels (VNNI) with weights packed once, which libtorch's eager bf16 path
/// cannot: 2.3-2.9 ms per 160 px image at batch 1 against 6.3-7 ms (docs/BENCHMARKS.md, "Serving speed").
/// Safe to call from several threads at once.
/// </summary>
public sealed class Int8FeatureStages : IDisposable
{
    /// <summary>At most this many calibration images: ranges settle within a few hundred (ONNX Runtime's examples use 100-500).</summary>
    public const int MaxCalibrationImages = 500;

    private readonly InferenceSession _session;

    private Int8FeatureStages(InferenceSession session) => _session = session;

    /// <summary>
    /// Measures each quantisation point's range (min-max) on an evenly spaced sample of at most
    /// <see cref="MaxCalibrationImages"/> of <paramref name="pixels"/> (uint8 [N,1,S,S]; a model's validation images),
    /// with the float32 graph of <paramref name="preparedFp32"/>. Null for an architecture without a feature graph.
    /// </summary>
    /// <remarks>
    /// On one thread, so that the ranges cannot depend on how the work was split (a range that moves in its last digit
    /// moves a scale and every int8 answer). 500 images at 160 px take about 6 s.
    /// </remarks>
    /// <param name="imagesDescription">Which images these are, for the card, e.g. "validation".</param>
    public static Int8Quantization? Calibrate(PneumoniaNetwork preparedFp32, Tensor pixels, string imagesDescription, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(preparedFp32);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.shape[0] == 0) throw new ArgumentException("calibration needs at least one image", nameof(pixels));
        var builder = FeatureGraphBuilder.ForCalibration();
        if (!preparedFp32.TryDescribeFeatureGraph(builder, out var featureMap)) return null;
        using var session = NewSession(builder.Finish(featureMap), threads: 1);

        var points = builder.Points;
        string[] outputs = [.. points.Select(builder.OutputOf)];
        var low = Enumerable.Repeat(float.PositiveInfinity, points.Count).ToArray();
        var high = Enumerable.Repeat(float.NegativeInfinity, points.Count).ToArray();
        var positions = EvenlySpacedSample.Positions(pixels.shape[0], MaxCalibrationImages);
        const int BatchSize = 16;
        using var runOptions = new RunOptions();
        for (var start = 0; start < positions.Length; start += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var count = Math.Min(BatchSize, positions.Length - start);
            using var index = tensor(positions.AsSpan(start, count).ToArray());
            using var input = InputValue(pixels.index_select(0, index));
            using var results = session.Run(runOptions, [FeatureGraphBuilder.InputName], [input], outputs);
            for (var p = 0; p < points.Count; p++)
            {
                foreach (var v in results[p].GetTensorDataAsSpan<float>())
                {
                    if (v < low[p]) low[p] = v;
                    if (v > high[p]) high[p] = v;
                }
            }
        }

        return new Int8Quantization(Int8Quantization.MinMax, $"{positions.Length} {imagesDescription} images, evenly spaced",
            [.. points.Select((point, p) => new ActivationRange(point, low[p], high[p]))]);
    }

    /// <summary>
    /// The int8 feature stages of <paramref name="preparedFp32"/> (prepared for inference in float32), quantised with
    /// <paramref name="quantization"/>; null for an architecture without a feature graph.
    /// </summary>
    /// <param name="threads">ONNX Runtime's threads for one forward pass; 0 for its default (one per core).</param>
    public static Int8FeatureStages? TryCreate(PneumoniaNetwork preparedFp32, Int8Quantization quantization, int threads = 0)
    {
        ArgumentNullException.ThrowIfNull(preparedFp32);
        ArgumentNullException.ThrowIfNull(quantization);
        var builder = FeatureGraphBuilder.ForInt8(quantization.Ranges);
        if (!preparedFp32.TryDescribeFeatureGraph(builder, out var featureMap)) return null;
        return new Int8FeatureStages(NewSession(builder.Finish(featureMap), threads));
    }

    /// <summary>The last stage's feature map [N,C,h,w] (float32) for grey byte images [N,1,S,S].</summary>
    public Tensor FeatureMap(Tensor bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var input = InputValue(bytes);
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, [FeatureGraphBuilder.InputName], [input], [FeatureGraphBuilder.FeatureMapName]);
        var output = results[0];
        var shape = output.GetTensorTypeAndShape().Shape;
        return tensor(output.GetTensorDataAsSpan<float>().ToArray(), shape);
    }

    public void Dispose() => _session.Dispose();

    private static OrtValue InputValue(Tensor bytes)
    {
        if (bytes.dim() != 4 || bytes.shape[1] != 1)
            throw new ArgumentException($"Expected grey images [N,1,S,S], got [{string.Join(",", bytes.shape)}].", nameof(bytes));
        using var floats = bytes.to_type(ScalarType.Float32).contiguous();
        return OrtValue.CreateTensorValueFromMemory(floats.data<float>().ToArray(), bytes.shape);
    }

    private static InferenceSession NewSession(byte[] model, int threads)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        // Idle workers sleep instead of spinning: a retrain or the decoders share these cores (as OpenMpWaitPolicy for libtorch).
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        try
        {
            return new InferenceSession(model, options);
        }
        catch (OnnxRuntimeException error)
        {
            // The graph comes from the card and the weights: one ONNX Runtime refuses is a model that cannot be served,
            // reported as such (the model host keeps serving the model it has).
            throw new InvalidDataException($"ONNX Runtime refused the int8 feature graph: {error.Message}", error);
        }
    }
}
