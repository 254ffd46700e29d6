using Orleans.CodeGeneration;

namespace Pneumonia.Abstractions;

/// <summary>One classified X-ray.</summary>
/// <param name="Label">"PNEUMONIA" or "NORMAL".</param>
/// <param name="Confidence">Probability of the returned label.</param>
/// <param name="Probability">Probability of PNEUMONIA.</param>
/// <param name="HeatmapPng">A class-activation heatmap over the image as PNG bytes, when asked for.</param>
/// <param name="OutOfDistribution">
/// Whether the image looks unlike the X-rays the model was trained on (its feature-space distance is above the
/// threshold calibrated on validation images); null when the model's card has no detector.
/// </param>
/// <param name="OutOfDistributionScore">That distance: about 1 for a typical training X-ray, larger is stranger.</param>
/// <param name="OutOfDistributionThreshold">The model's threshold on <paramref name="OutOfDistributionScore"/>.</param>
[GenerateSerializer, Immutable, Alias("pneumonia.PredictionResult")]
public sealed record PredictionResult(
    [property: Id(0)] string Label,
    [property: Id(1)] double Confidence,
    [property: Id(2)] double Probability,
    [property: Id(3)] double Threshold,
    [property: Id(4)] string ModelVersion,
    [property: Id(5)] double ElapsedMilliseconds,
    [property: Id(6)] byte[]? HeatmapPng,
    [property: Id(7)] bool? OutOfDistribution = null,
    [property: Id(8)] double? OutOfDistributionScore = null,
    [property: Id(9)] double? OutOfDistributionThreshold = null);

/// <summary>A prediction or the reason there is none (a bad image), for one named input.</summary>
/// <param name="ErrorCode">Machine-readable reason, e.g. "Corrupt", "TooManyPixels", "NotAnImage".</param>
[GenerateSerializer, Immutable, Alias("pneumonia.PredictionOutcome")]
public sealed record PredictionOutcome(
    [property: Id(0)] string Name,
    [property: Id(1)] PredictionResult? Result,
    [property: Id(2)] string? ErrorCode,
    [property: Id(3)] string? Error);

/// <summary>An encoded image (JPEG or PNG) with the client's name for it.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.NamedImage")]
public sealed record NamedImage([property: Id(0)] string Name, [property: Id(1)] byte[] Bytes);

/// <summary>
/// Classifies X-rays with the production model loaded in the local silo. A stateless worker: activations in every
/// silo, no state, the model shared per silo.
/// </summary>
[Alias("pneumonia.IPredictionGrain")]
public interface IPredictionGrain : IGrainWithIntegerKey
{
    [UnorderedCall]
    Task<PredictionOutcome> PredictAsync(NamedImage image, bool heatmap);

    [UnorderedCall]
    Task<IReadOnlyList<PredictionOutcome>> PredictBatchAsync(IReadOnlyList<NamedImage> images);
}

/// <summary>
/// Marks a grain method whose calls need no ordering, so that an Orleans client sends each call over its live
/// gateways in turn (and to a gateway that joined at its next gateway-list refresh) instead of pinning the grain id to
/// the gateway it first used. Orleans 10.4 marks stateless workers unordered in their grain properties, but its
/// generated proxies send only the request's own options, which this attribute sets (as Orleans' [ReadOnly] does).
/// </summary>
[InvokableCustomInitializer(nameof(IRequest.AddInvokeMethodOptions), InvokeMethodOptions.Unordered)]
[AttributeUsage(AttributeTargets.Method)]
public sealed class UnorderedCallAttribute : Attribute;

/// <summary>
/// Thrown by <see cref="IPredictionGrain"/> when its silo has no production model loaded (none registered yet, or
/// loading it failed): the one failure a front end answers with 503 "model not loaded" and retries on another silo.
/// Any other exception is a real failure and surfaces as one.
/// </summary>
[GenerateSerializer, Alias("pneumonia.NoModelLoadedException")]
public sealed class NoModelLoadedException : Exception
{
    public NoModelLoadedException()
        : base("No production model is loaded.")
    {
    }

    public NoModelLoadedException(string message)
        : base(message)
    {
    }

    public NoModelLoadedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
