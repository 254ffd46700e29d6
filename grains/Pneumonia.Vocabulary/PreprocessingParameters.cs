namespace Pneumonia;

/// <summary>
/// How a decoded X-ray becomes the grey pixels the model sees. Stored in the model card (as JSON), so that serving
/// prepares uploads exactly as training prepared the training images.
/// </summary>
/// <remarks>
/// Images are squashed to <see cref="InputSize"/> x <see cref="InputSize"/> WITHOUT keeping the aspect ratio. That
/// is how the 224x224 copies of the Kermany data set were made, so a full-size upload of any aspect ratio, squashed
/// the same way, looks like the training data; letterboxing or cropping would show the model shapes it never saw.
/// </remarks>
public sealed record PreprocessingParameters
{
    /// <summary>The resampler name for a triangle (bilinear) filter, the default.</summary>
    public const string Triangle = "Triangle";

    /// <summary>The resampler name for a bicubic filter.</summary>
    public const string Bicubic = "Bicubic";

    /// <summary>Square side in pixels of the model input.</summary>
    public int InputSize { get; init; } = 224;

    /// <summary>The resampler used to resize: <see cref="Triangle"/> or <see cref="Bicubic"/>.</summary>
    public string Resampler { get; init; } = Triangle;

    /// <summary>Version of the preprocessing recipe; changes whenever the same parameters would give other pixels.</summary>
    public int Version { get; init; } = 1;

    /// <summary>224 x 224, triangle filter, version 1.</summary>
    public static PreprocessingParameters Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> unless the size is positive and the resampler is known.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(InputSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Version);
        if (Resampler is not (Triangle or Bicubic))
        {
            throw new ArgumentException(
                $"Unknown resampler '{Resampler}'; expected '{Triangle}' or '{Bicubic}'.", nameof(Resampler));
        }
    }
}
