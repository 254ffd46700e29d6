
namespace Pneumonia.Ml.Training;

/// <summary>Where a training run is: reported after every batch and at the end of every epoch.</summary>
/// <param name="Phase">"loading" (decoding images), "caching" (frozen stages' features), "training", "validating", "calibrating" or "evaluating".</param>
/// <param name="Epoch">1-based epoch being trained.</param>
/// <param name="Batch">1-based batch within the epoch (0 outside the training phase).</param>
/// <param name="Fraction">Overall progress 0..1, counted in training batches.</param>
/// <param name="TrainingLoss">Mean loss of the epoch's batches so far.</param>
/// <param name="TrainingAccuracy">Running accuracy (at probability 0.5) of the epoch's batches so far.</param>
/// <param name="ValidationAuc">ROC-AUC on validation after the last finished epoch, if any.</param>
/// <param name="Eta">Estimated time left: of the run while training, of the phase while loading or caching.</param>
/// <param name="ImagesDone">While loading or caching: images done so far in this phase.</param>
/// <param name="ImagesTotal">While loading or caching: images the phase works through.</param>
public sealed record TrainingProgress(
    string Phase,
    int Epoch,
    int Epochs,
    int Batch,
    int BatchesPerEpoch,
    double Fraction,
    double TrainingLoss,
    double TrainingAccuracy,
    double? ValidationAuc,
    TimeSpan Elapsed,
    TimeSpan? Eta,
    int ImagesDone = 0,
    int ImagesTotal = 0)
{
    /// <summary>A phase that works image by image (loading, caching): how far it is, and its own ETA from its pace.</summary>
    public static TrainingProgress ImagePhase(string phase, int epoch, int epochs, double fraction, int done, int total, TimeSpan elapsed) =>
        new(phase, epoch, epochs, 0, 0, fraction, 0, 0, null, elapsed,
            done > 0 && done < total ? elapsed * ((total - done) / (double)done) : null, done, total);
}
