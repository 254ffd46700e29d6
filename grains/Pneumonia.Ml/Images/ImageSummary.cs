using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Pneumonia.Ml.Images;

/// <summary>A small preview of an X-ray for charts: a grey PNG thumbnail and the intensity histogram of its pixels.</summary>
/// <param name="ThumbnailPng">The image shrunk (aspect ratio kept) to at most the requested side, as an 8-bit grey PNG.</param>
/// <param name="Histogram">Pixel counts of the thumbnail in equal-width intensity bins over 0-255.</param>
public sealed record ImageSummary(byte[] ThumbnailPng, int Width, int Height, int[] Histogram)
{
    /// <summary>Summarises <paramref name="image"/> (not changed) with a thumbnail of at most <paramref name="maxSide"/> pixels a side.</summary>
    public static ImageSummary Of(Image<L8> image, int maxSide = 128, int bins = 32)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSide);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bins, 256);
        using var thumbnail = image.Clone(context => context.Resize(new ResizeOptions
        {
            Size = new Size(maxSide, maxSide),
            Mode = ResizeMode.Max,
            Sampler = KnownResamplers.Triangle,
        }));
        var pixels = new byte[thumbnail.Width * thumbnail.Height];
        thumbnail.CopyPixelDataTo(pixels);
        var histogram = new int[bins];
        foreach (var value in pixels)
        {
            histogram[value * bins / 256]++;
        }

        using var png = new MemoryStream();
        thumbnail.Save(png, new PngEncoder { ColorType = PngColorType.Grayscale, BitDepth = PngBitDepth.Bit8 });
        return new ImageSummary(png.ToArray(), image.Width, image.Height, histogram);
    }
}
