using Pneumonia.Ml.Evaluation;

namespace Pneumonia.Ml.Tests.Evaluation;

public sealed class MetricsAccumulatorTests
{
    [Fact]
    public void Running_loss_is_weighted_by_batch_size_and_accuracy_uses_half()
    {
        var accumulator = new MetricsAccumulator();
        Assert.Equal(0, accumulator.RunningLoss);
        Assert.Equal(0, accumulator.RunningAccuracy);

        // Batch 1: 3 items, mean loss 0.6; correct at p >= 0.5: 0.9/true yes, 0.5/false no, 0.2/false yes -> 2.
        accumulator.Add([0.9, 0.5, 0.2], [true, false, false], 0.6);
        // Batch 2: 1 item, mean loss 0.2; 0.4/true is wrong -> 0.
        accumulator.Add([0.4], [true], 0.2);

        // Loss (3 * 0.6 + 1 * 0.2) / 4 = 0.5; accuracy 2 / 4.
        Assert.Equal(0.5, accumulator.RunningLoss, 12);
        Assert.Equal(0.5, accumulator.RunningAccuracy);
        Assert.Equal(4, accumulator.Count);
        Assert.Equal(2, accumulator.Batches);

        accumulator.Reset();
        Assert.Equal(0, accumulator.Count);
        Assert.Equal(0, accumulator.RunningLoss);
    }

    [Fact]
    public void Mismatched_batch_throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new MetricsAccumulator().Add([0.5], [true, false], 0.1));

        Assert.Contains("same length", ex.Message, StringComparison.Ordinal);
    }
}
