using Pneumonia.Ml.Training;

namespace Pneumonia.Grains.Training;

/// <summary>
/// The latest progress of a run, written by the training thread and read by the grain's timer: the only thing the
/// two share, and a single reference swap, so neither waits for the other.
/// </summary>
public sealed class TrainingProgressHolder : IProgress<TrainingProgress>
{
    private TrainingProgress? _latest;

    public TrainingProgress? Latest => Volatile.Read(ref _latest);

    public void Report(TrainingProgress value) => Volatile.Write(ref _latest, value);
}
