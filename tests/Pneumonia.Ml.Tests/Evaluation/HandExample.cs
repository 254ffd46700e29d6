namespace Pneumonia.Ml.Tests.Evaluation;

/// <summary>
/// Eight items small enough to check every metric by hand. Sorted by probability; items 4 and 5 tie at 0.65 with
/// different labels (a half-credit pair for ROC-AUC), and no probability sits on a k/15 calibration-bin edge.
/// </summary>
internal static class HandExample
{
    //              item:     1     2     3     4     5     6     7     8
    public static readonly double[] Probabilities = [0.95, 0.85, 0.70, 0.65, 0.65, 0.35, 0.25, 0.05];
    public static readonly bool[] Labels = [true, true, false, true, false, true, false, false];
}
