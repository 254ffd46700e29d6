namespace Pneumonia.Ml.Training;

/// <summary>The catalogue entries of each split (<see cref="TrainingSplits.Partition"/>) and what was left out on the way.</summary>
/// <param name="LeftOut">Training images of patients who also appear in the test split.</param>
/// <param name="GateImages">Images held out as the promotion gate's set.</param>
/// <param name="OutsideLimits">Labelled images the input size limits now refuse.</param>
public sealed record SplitRecords(
    IReadOnlyList<ImageRecord> Train, IReadOnlyList<ImageRecord> Validation, IReadOnlyList<ImageRecord> Test, int LeftOut, int GateImages, int OutsideLimits);
