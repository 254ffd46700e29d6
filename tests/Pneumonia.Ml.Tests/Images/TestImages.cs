using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Pneumonia.Ml.Tests.Images;

/// <summary>Images made in code, including crafted headers that claim huge dimensions.</summary>
internal static class TestImages
{
    /// <summary>A 16-bit grey PNG with a deterministic pattern, and the same picture rounded to 8 bits.</summary>
    public static (byte[] Png16, byte[] Png8) GreyPngPair(int width, int height)
    {
        using var wide = new Image<L16>(width, height);
        using var narrow = new Image<L8>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var value = (ushort)((x * 37 + y * 101 + (x * y % 251)) % 65536);
                wide[x, y] = new L16(value);
                narrow[x, y] = new L8((byte)Math.Round(value / 257.0));
            }
        }

        return (Encode(wide, new PngEncoder { BitDepth = PngBitDepth.Bit16, ColorType = PngColorType.Grayscale }),
            Encode(narrow, new PngEncoder { BitDepth = PngBitDepth.Bit8, ColorType = PngColorType.Grayscale }));
    }

    /// <summary>An RGB JPEG: a warm gradient, so colour-to-grey conversion is exercised.</summary>
    public static byte[] ColourJpeg(int width, int height)
    {
        using var image = new Image<Rgb24>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                image[x, y] = new Rgb24((byte)(x * 255 / width), (byte)(y * 255 / height), 64);
            }
        }

        return Encode(image, new JpegEncoder { Quality = 90 });
    }

    /// <summary>A grey image, left half black and right half white, in the given format.</summary>
    public static byte[] HalfBlackHalfWhite(int width, int height, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
    {
        using var image = new Image<L8>(width, height);
        for (var y = 0; y < height; y++)
        {
            for (var x = width / 2; x < width; x++)
            {
                image[x, y] = new L8(255);
            }
        }

        return Encode(image, encoder);
    }

    public static byte[] Encode<TPixel>(Image<TPixel> image, SixLabors.ImageSharp.Formats.IImageEncoder encoder)
        where TPixel : unmanaged, IPixel<TPixel>
    {
        using var stream = new MemoryStream();
        image.Save(stream, encoder);
        return stream.ToArray();
    }
}
