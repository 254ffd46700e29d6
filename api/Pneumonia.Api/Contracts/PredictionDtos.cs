namespace Pneumonia.Api.Contracts;

/// <summary>One classified X-ray (<c>POST /predict</c>).</summary>
/// <param name="Label">"PNEUMONIA" or "NORMAL".</param>
/// <param name="Confidence">Probability of the returned label.</param>
/// <param name="Probability">Probability of PNEUMONIA.</param>
/// <param name="Threshold">PNEUMONIA is returned when <paramref name="Probability"/> is at least this.</param>
/// <param name="ElapsedMs">Time the model took, in milliseconds.</param>
/// <param name="Heatmap">With <c>?heatmap=true</c>: a class-activation heatmap over the image, PNG as base64.</param>
/// <param name="OutOfDistribution">
/// True when the image does not look like the chest X-rays the model was trained on (a photo, a document, a blank or
/// noise image, another kind of scan): the label then means little. Null when the model carries no such check.
/// </param>
/// <param name="OodScore">The image's distance from the training X-rays in the model's feature space (about 1 typical).</param>
/// <param name="OodThreshold">Scores above this are out of distribution (the validation images' 99th percentile).</param>
public sealed record PredictionResponse(
    string Label,
    double Confidence,
    double Probability,
    string ModelVersion,
    double Threshold,
    double ElapsedMs,
    string? Heatmap,
    bool? OutOfDistribution = null,
    double? OodScore = null,
    double? OodThreshold = null);

/// <summary>One file of <c>POST /predict/batch</c>: a prediction, or the error that prevented it.</summary>
/// <param name="Status">"ok" or "error".</param>
/// <param name="OutOfDistribution">As in <see cref="PredictionResponse"/>; null for an error or a model without the check.</param>
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
    string? Error,
    bool? OutOfDistribution = null,
    double? OodScore = null,
    double? OodThreshold = null);

/// <summary>The answer of <c>POST /predict/batch</c>: one item per file, in the order sent.</summary>
public sealed record BatchPredictionResponse(int Count, int Succeeded, int Failed, IReadOnlyList<BatchPredictionItem> Results);
