using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;
using Pneumonia.Ml.Architectures;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Cli;

/// <summary>
/// ONNX Runtime against TorchSharp on the one graph ORT can run here without graph surgery: the package's ImageNet
/// ResNet-18 (all four stages, 224 px, batch 1: the ONNX file fixes both), with the same weights in both engines.
/// Weight values do not change the speed, so this is the engine choice for the trained model too.
/// </summary>
internal static class EngineComparison
{
    private const int Size = 224;

    internal sealed record EngineRate(string Engine, double MillisecondsPerImage);

    public static IReadOnlyList<EngineRate> Measure(int threads, double seconds, Func<Action, double, TimeSpan> median)
    {
        var rates = new List<EngineRate>();
        var grey = Enumerable.Range(0, Size * Size).Select(i => (byte)(i * 31 % 251)).ToArray();

        // ORT takes the backbone's own input: B,G,R planes minus the means (values do not matter for speed).
        var planes = Enumerable.Range(0, 3).SelectMany(_ => grey.Select(p => p - 120f)).ToArray();
        using (var options = new SessionOptions { IntraOpNumThreads = threads, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL })
        using (var session = new InferenceSession(ImageNetResNet18Weights.DefaultOnnxPath, options))
        using (var value = OrtValue.CreateTensorValueFromMemory(planes, [1, 3, Size, Size]))
        using (var runOptions = new RunOptions())
        {
            var time = median(() =>
            {
                using var results = session.Run(runOptions, session.InputNames, [value], session.OutputNames);
            }, seconds);
            rates.Add(new($"ONNX Runtime {OrtEnv.Instance().GetVersionString()}, fp32, graph optimisation all", time.TotalMilliseconds));
        }

        set_num_threads(threads);
        using var input = tensor(grey, [1L, 1, Size, Size], ScalarType.Byte);
        var architecture = ResNet18Architecture.Instance.Describe(stages: 4, dropout: 0, pretrained: true);
        using (var network = NetworkArchitectures.Create(architecture, loadPretrainedWeights: true))
        {
            network.eval();
            var time = median(() =>
            {
                using var noGrad = no_grad();
                using var scope = NewDisposeScope();
                network.forward(input.to_type(ScalarType.Float32));
            }, seconds);
            rates.Add(new("TorchSharp fp32, as trained (NCHW, separate batch norms)", time.TotalMilliseconds));
        }

        foreach (var (name, precision) in new[] { ("TorchSharp fp32, prepared (batch norms folded, channels-last)", ServingPrecision.Fp32), ("TorchSharp bf16, prepared", new ServingPrecision(InferencePrecision.Bf16, 0)) })
        {
            using var network = ServingNetwork.Prepare(NetworkArchitectures.Create(architecture, loadPretrainedWeights: true), precision);
            var time = median(() =>
            {
                using var noGrad = no_grad();
                using var scope = NewDisposeScope();
                network.Logits(network.FeatureMap(input));
            }, seconds);
            rates.Add(new(name, time.TotalMilliseconds));
        }

        return rates;
    }
}
