using static TorchSharp.torch;
using Pneumonia.Ml.Architectures;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Ml.Training;

/// <summary>Batched forward passes in evaluation mode, for validation, calibration and test reports.</summary>
public static class NetworkScoring
{
    /// <summary>One logit per image of <paramref name="pixels"/> (uint8 [N,1,S,S]).</summary>
    public static float[] PredictLogits(PneumoniaNetwork network, Tensor pixels, int batchSize = 64, CancellationToken cancellationToken = default) =>
        Run(network, pixels, network.forward, batchSize, cancellationToken);

    /// <summary>One logit per image from cached features after stage <paramref name="completedStage"/>.</summary>
    public static float[] PredictLogitsFromFeatures(PneumoniaNetwork network, Tensor features, int completedStage, CancellationToken cancellationToken = default) =>
        Run(network, features, batch => network.ForwardFrom(batch, completedStage), 64, cancellationToken);

    /// <summary>The output of stages 0..<paramref name="lastStage"/> for every image, as bfloat16 (half the memory of float32).</summary>
    /// <param name="computed">Told the number of images done after each batch.</param>
    public static Tensor ComputeFeatures(
        PneumoniaNetwork network, Tensor pixels, int lastStage, int batchSize = 64, Action<int>? computed = null, CancellationToken cancellationToken = default) =>
        ComputeAugmentedFeatures(network, frozenStages: null, pixels, lastStage, augment: batch => batch, batchSize, computed, cancellationToken);

    /// <summary>
    /// <see cref="ComputeFeatures"/> for an augmented view: each slice of <paramref name="pixels"/> goes through
    /// <paramref name="augment"/> (float32 grey 0..255 in and out) before the frozen stages, computed by
    /// <paramref name="frozenStages"/> when given (a served-style copy: faster) or else by <paramref name="network"/>.
    /// </summary>
    public static Tensor ComputeAugmentedFeatures(
        PneumoniaNetwork network, ServingNetwork? frozenStages, Tensor pixels, int lastStage, Func<Tensor, Tensor> augment,
        int batchSize = 64, Action<int>? computed = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(augment);
        var wasTraining = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            Tensor? all = null;
            for (long start = 0; start < pixels.shape[0]; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var length = Math.Min(batchSize, pixels.shape[0] - start);
                var augmented = augment(pixels.narrow(0, start, length).to_type(ScalarType.Float32));
                var features = frozenStages is null ? network.FeaturesThrough(augmented, lastStage) : frozenStages.FeaturesThrough(augmented, lastStage);
                all ??= empty([pixels.shape[0], .. features.shape[1..]], ScalarType.BFloat16).MoveToOuterDisposeScope();
                all.narrow(0, start, length).copy_(features);
                computed?.Invoke((int)(start + length));
            }
            return all ?? throw new ArgumentException("no images to compute features for", nameof(pixels));
        }
        finally
        {
            network.train(wasTraining);
        }
    }

    private static float[] Run(PneumoniaNetwork network, Tensor inputs, Func<Tensor, Tensor> forward, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(inputs);
        var wasTraining = network.training;
        network.eval();
        try
        {
            return BatchedLogits(inputs, batch => forward(batch.to_type(ScalarType.Float32)), batchSize, cancellationToken);
        }
        finally
        {
            network.train(wasTraining);
        }
    }

    /// <summary>
    /// Runs <paramref name="forward"/> (inputs -> logits [n]) over <paramref name="inputs"/> in slices of at most
    /// <paramref name="batchSize"/>, without gradients, freeing each slice's tensors before the next.
    /// </summary>
    internal static float[] BatchedLogits(Tensor inputs, Func<Tensor, Tensor> forward, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var count = inputs.shape[0];
        var logits = new float[count];
        using var noGrad = no_grad();
        for (long start = 0; start < count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var length = Math.Min(batchSize, count - start);
            forward(inputs.narrow(0, start, length)).data<float>().CopyTo(logits, (int)start);
        }
        return logits;
    }
}
