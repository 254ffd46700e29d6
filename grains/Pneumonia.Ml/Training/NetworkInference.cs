using Pneumonia.Ml.Modeling;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Training;

/// <summary>Batched forward passes in evaluation mode, for validation, calibration and test reports.</summary>
public static class NetworkInference
{
    /// <summary>One logit per image of <paramref name="pixels"/> (uint8 [N,1,S,S]).</summary>
    public static float[] PredictLogits(PneumoniaNetwork network, Tensor pixels, int batchSize = 64, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(pixels);
        var wasTraining = network.training;
        network.eval();
        try
        {
            var count = pixels.shape[0];
            var logits = new float[count];
            using var noGrad = no_grad();
            for (long start = 0; start < count; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var length = Math.Min(batchSize, count - start);
                var batch = pixels.narrow(0, start, length).to_type(ScalarType.Float32);
                network.forward(batch).data<float>().CopyTo(logits, (int)start);
            }
            return logits;
        }
        finally
        {
            network.train(wasTraining);
        }
    }
}
