using System.Diagnostics;
using Pneumonia.Ml.Modeling;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Tests.Modeling;

/// <summary>Runs alone so that the other tests do not share its two cores.</summary>
[CollectionDefinition(nameof(NetworkTimingTests), DisableParallelization = true)]
public sealed class NetworkTimingRunsAlone;

/// <summary>Inference cost, printed rather than asserted: the numbers depend on the machine and its load.</summary>
[Collection(nameof(NetworkTimingTests))]
public sealed class NetworkTimingTests(ITestOutputHelper output)
{
    private const int BatchSize = 32;
    private const int MeasuredBatches = 3;

    [Fact]
    public void Measures_inference_milliseconds_per_image()
    {
        set_num_threads(2);
        output.WriteLine($"fp32, batch {BatchSize}, {get_num_threads()} threads, {MeasuredBatches} batches after one warm-up");
        foreach (var stages in new[] { 3, 4 })
        {
            using var network = new PneumoniaNetwork(stages, dropout: 0.2, [103f, 116f, 123f]);
            network.eval();
            foreach (var size in new[] { 224, 192 })
            {
                var milliseconds = Enumerable.Range(0, MeasuredBatches + 1).Select(_ => TimeBatch(network, size)).Skip(1).Order().ToList();
                // The minimum is the least disturbed by other work on the shared cores; the median shows how much there was.
                output.WriteLine($"stages {stages}, input {size}: min {milliseconds[0] / BatchSize:F1}, median {milliseconds[milliseconds.Count / 2] / BatchSize:F1} ms/image");
            }
        }
    }

    private static double TimeBatch(PneumoniaNetwork network, int size)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var images = rand(BatchSize, 1, size, size) * 255;
        var stopwatch = Stopwatch.StartNew();
        network.forward(images);
        return stopwatch.Elapsed.TotalMilliseconds;
    }
}
