namespace Pneumonia.Api.Contracts;

/// <summary>One classified X-ray (<c>POST /predict</c>).</summary>
/// <param name="Label">"PNEUMONIA" or "NORMAL".</param>
/// <param name="Confidence">Probability of the returned label.</param>
/// <param name="Probability">Probability of PNEUMONIA.</param>
/// <param name="Threshold">PNEUMONIA is returned when <paramref name="Probability"/> is at least this.</param>
/// <param name="ElapsedMs">Time the model took, in milliseconds.</param>
/// <param name="Heatmap">With <c>?heatmap=true</c>: a class-activation heatmap over the image, PNG as base64.</param>
public sealed record PredictionResponse(
    string Label,
    double Confidence,
    double Probability,
    string ModelVersion,
    double Threshold,
    double ElapsedMs,
    string? Heatmap);

/// <summary>One file of <c>POST /predict/batch</c>: a prediction, or the error that prevented it.</summary>
/// <param name="Status">"ok" or "error".</param>
/// <param name="ErrorCode">e.g. "Corrupt", "NotAnImage", "UnsupportedFormat", "TooManyPixels", "TooSmall", "ExtremeAspectRatio", "TooLarge", "Empty".</param>
public sealed record BatchPredictionItem(
    string Name,
    string Status,
    string? Label,
    double? Confidence,
    double? Probability,
    string? ModelVersion,
    double? Threshold,
    double? ElapsedMs,
    string? ErrorCode,
    string? Error);

/// <summary>The answer of <c>POST /predict/batch</c>: one item per file, in the order sent.</summary>
public sealed record BatchPredictionResponse(int Count, int Succeeded, int Failed, IReadOnlyList<BatchPredictionItem> Results);
