namespace Pneumonia.Ml.Evaluation;

/// <summary>
/// Cheap running loss and accuracy over training batches, for progress reports only: the 0.5 cut-off here is a
/// progress indicator, not the model's operating threshold (that comes from <see cref="ThresholdSelector"/>).
/// Not thread-safe: one accumulator per training loop.
/// </summary>
public sealed class MetricsAccumulator
{
    private double _lossSum;
    private int _correct;

    /// <summary>Items added so far.</summary>
    public int Count { get; private set; }

    /// <summary>Batches added so far.</summary>
    public int Batches { get; private set; }

    /// <summary>Per-item mean loss so far: batch losses weighted by batch size, so a short last batch counts less; 0 before any batch.</summary>
    public double RunningLoss => Count == 0 ? 0 : _lossSum / Count;

    /// <summary>Fraction of items so far whose prediction at probability &gt;= 0.5 matches the label; 0 before any batch.</summary>
    public double RunningAccuracy => Count == 0 ? 0 : (double)_correct / Count;

    /// <summary>Adds one batch.</summary>
    /// <param name="probabilities">P(pneumonia) per item of the batch.</param>
    /// <param name="labels">Labels of the batch, <c>true</c> = PNEUMONIA.</param>
    /// <param name="loss">The batch's mean loss per item (what a mean-reduced loss function returns).</param>
    /// <exception cref="ArgumentException">Lengths differ, or the loss is not finite.</exception>
    public void Add(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, double loss)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(labels);
        if (probabilities.Count != labels.Count)
        {
            throw new ArgumentException(
                $"probabilities and labels must have the same length (got {probabilities.Count} and {labels.Count}).",
                nameof(labels));
        }

        if (!double.IsFinite(loss))
        {
            throw new ArgumentException($"loss = {loss} is not finite.", nameof(loss));
        }

        for (var i = 0; i < probabilities.Count; i++)
        {
            if (probabilities[i] >= 0.5 == labels[i]) _correct++;
        }

        _lossSum += loss * probabilities.Count;
        Count += probabilities.Count;
        Batches++;
    }

    /// <summary>Starts over, e.g. at the start of an epoch.</summary>
    public void Reset()
    {
        _lossSum = 0;
        _correct = 0;
        Count = 0;
        Batches = 0;
    }
}
