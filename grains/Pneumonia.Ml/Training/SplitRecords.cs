namespace Pneumonia.Ml.Training;

/// <summary>The catalogue entries of each split (<see cref="TrainingSplits.Partition"/>) and what was left out on the way.</summary>
/// <param name="LeftOut">Training images of patients who also appear in the test split.</param>
/// <param name="Gate">The promotion gate's set, held out (empty when none was asked for), in catalogue order.</param>
/// <param name="OutsideLimits">Labelled images the input size limits now refuse.</param>
public sealed record SplitRecords(
    IReadOnlyList<ImageRecord> Train, IReadOnlyList<ImageRecord> Validation, IReadOnlyList<ImageRecord> Test, IReadOnlyList<ImageRecord> Gate, int LeftOut, int OutsideLimits);
