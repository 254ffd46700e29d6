namespace Pneumonia.Ml.Images;

/// <summary>
/// Upper bounds on what <see cref="XrayImageDecoder"/> accepts. They are checked on the file size and on the header
/// before any pixel is decoded, so a crafted file cannot make the decoder allocate more than these bounds allow.
/// </summary>
/// <param name="MaxFileBytes">Largest encoded file accepted, in bytes.</param>
/// <param name="MaxPixels">Largest width times height accepted.</param>
/// <param name="MaxSide">Largest width or height accepted, in pixels.</param>
public sealed record ImageLimits(long MaxFileBytes = 20L * 1024 * 1024, long MaxPixels = 40_000_000, int MaxSide = 16_384)
{
    /// <summary>The limits used when none are given: 20 MB, 40 million pixels, 16384 pixels a side.</summary>
    public static ImageLimits Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless every limit is positive.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFileBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxSide);
    }
}
