namespace Pneumonia.Ml.Images;

/// <summary>
/// What <see cref="XrayImageDecoder"/> accepts. The bounds are checked on the file size and on the header before any
/// pixel is decoded, so a crafted file cannot make the decoder allocate more than they allow, and an image that
/// cannot be a chest film at the resolution the model needs is refused before it costs a decode.
/// </summary>
/// <param name="MaxFileBytes">Largest encoded file accepted, in bytes.</param>
/// <param name="MaxPixels">Largest width times height accepted.</param>
/// <param name="MaxSide">Largest width or height accepted, in pixels.</param>
/// <param name="MinSide">
/// Smallest width or height accepted, in pixels. The default, 64, is argued in docs/BENCHMARKS.md ("Input
/// validity"): the training copies are 224 px a side and real films several hundred; below 64 px the bundled model's
/// specificity on the test split collapses, so such an image is a thumbnail or an icon, not an X-ray to classify.
/// </param>
/// <param name="MaxAspectRatio">
/// Largest ratio of the longer side to the shorter accepted. Preprocessing squashes every image to a square (as the
/// training copies were made); chest film formats are at most 1.25:1, so 3:1 leaves room for crops while refusing
/// strips, panoramas and collages that the squash would distort beyond anything the model saw.
/// </param>
public sealed record ImageLimits(
    long MaxFileBytes = 20L * 1024 * 1024,
    long MaxPixels = 40_000_000,
    int MaxSide = 16_384,
    int MinSide = 64,
    double MaxAspectRatio = 3)
{
    /// <summary>The limits used when none are given: 20 MB, 40 million pixels, 64 to 16384 pixels a side, at most 3:1.</summary>
    public static ImageLimits Default { get; } = new();

    /// <summary>
    /// No lower bound on size or shape: for code that decodes images it made itself (tests of the decoder's
    /// mechanics, perturbed copies), never for files from users.
    /// </summary>
    public static ImageLimits AnyShape { get; } = Default.WithAnyShape();

    /// <summary>
    /// These limits without their lower bound on size or shape (the byte and pixel bounds, which protect the decoder,
    /// stay): for images that passed the limits of their day, such as stored ones shown again.
    /// </summary>
    public ImageLimits WithAnyShape() => this with { MinSide = 1, MaxAspectRatio = MaxSide };

    /// <summary>Whether an image of <paramref name="width"/> x <paramref name="height"/> passes the pixel, side and shape limits (not the byte limit).</summary>
    public bool AdmitsSize(int width, int height)
    {
        var (shorter, longer) = (Math.Min(width, height), Math.Max(width, height));
        return longer <= MaxSide && (long)width * height <= MaxPixels && shorter >= MinSide && longer <= MaxAspectRatio * shorter;
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless every limit is positive and the side bounds are ordered.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxFileBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPixels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxSide);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MinSide);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MinSide, MaxSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAspectRatio, 1);
    }
}
