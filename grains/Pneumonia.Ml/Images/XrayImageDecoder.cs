using System.Buffers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace Pneumonia.Ml.Images;

/// <summary>
/// Decodes untrusted JPEG and PNG files to grey images, refusing anything else with an
/// <see cref="InvalidImageException"/>. Thread-safe: create one and share it.
/// </summary>
/// <remarks>
/// Decoding is SkiaSharp's (libjpeg-turbo and libpng; issue 17): a JPEG can be decoded straight to 1/8, 1/4, 3/8 ...
/// of its size in the DCT domain, so a 2000 px film needed at 160 px costs a fraction of a full decode. The attack
/// surface is kept small: only bytes that start with a JPEG or PNG signature reach the native decoder (Skia would
/// also parse GIF, BMP, WebP and more), the size limits are checked on the header (<see cref="SKCodec"/> reads no
/// pixels when it is created) before any pixel buffer exists, and no colour profile is applied. The one metadata tag
/// that changes the picture, the EXIF orientation, is read by the bounded <see cref="ExifOrientation"/> reader and
/// applied, so every image comes out as a viewer displays it. ImageSharp (2.1) still holds the decoded picture for
/// callers (<see cref="Image{TPixel}"/>), resizes it and encodes PNGs; it no longer parses uploaded files.
/// </remarks>
public sealed class XrayImageDecoder
{
    // Colour buffers up to this size come from the shared pool (a 224-1000 px colour JPEG per request); a larger one
    // is allocated for its one decode rather than kept in the pool afterwards.
    private const int PooledColourBytes = 4 << 20;

    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Creates a decoder with the given limits, or <see cref="ImageLimits.Default"/>.</summary>
    public XrayImageDecoder(ImageLimits? limits = null)
    {
        Limits = limits ?? ImageLimits.Default;
        Limits.Validate();
    }

    /// <summary>The limits this decoder enforces.</summary>
    public ImageLimits Limits { get; }

    /// <summary>
    /// Checks <paramref name="bytes"/> against the limits, then decodes them at full size to 8-bit grey: colour is
    /// converted to luminance, 16-bit samples are scaled to 8 bits, and an EXIF orientation is applied (the image
    /// comes out upright, as displayed). The caller owns (and disposes) the returned image.
    /// </summary>
    /// <exception cref="InvalidImageException">The file is empty, too large, not a JPEG or PNG, or damaged.</exception>
    public Image<L8> DecodeGrey(byte[] bytes) => DecodeGrey(bytes, minimumSide: 0);

    /// <summary>
    /// As <see cref="DecodeGrey(byte[])"/>, but reduced to the smallest size whose both sides are still at least
    /// <paramref name="minimumSide"/> (never enlarged; 0 gives the full size): a JPEG is decoded at the smallest DCT
    /// scale (1/8 to 8/8) that keeps both sides, then any image still twice that or more is shrunk by whole-pixel
    /// block means. What preprocessing asks for before it resizes to the model's input; the limits are judged on the
    /// file's own size.
    /// </summary>
    /// <exception cref="InvalidImageException">The file is empty, too large, not a JPEG or PNG, or damaged.</exception>
    public Image<L8> DecodeGrey(byte[] bytes, int minimumSide)
    {
        var grey = Decode(bytes, minimumSide);
        return Image.WrapMemory<L8>(grey.Pixels.AsMemory(), grey.Width, grey.Height);
    }

    private GreyPixels Decode(byte[] bytes, int minimumSide)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length == 0)
        {
            throw new InvalidImageException(InvalidImageReason.Empty, "The file is empty.");
        }

        if (bytes.Length > Limits.MaxFileBytes)
        {
            throw new InvalidImageException(
                InvalidImageReason.TooLarge,
                $"The file is {bytes.Length:N0} bytes, over the limit of {Limits.MaxFileBytes:N0} bytes.");
        }

        var format = Format(bytes);
        if (format == SKEncodedImageFormat.Jpeg && !EndsAfterLastScan(bytes))
        {
            throw Corrupt(format, "no end-of-image marker after the last scan");
        }

        // libpng stops reading once the last row is decoded, so a chunk that claims more bytes than the file holds
        // (or a file cut after its image data) would pass; the chunk walk to IEND refuses both.
        if (format == SKEncodedImageFormat.Png && ImageEnd.Find(bytes) is null)
        {
            throw Corrupt(format, "its chunks do not reach an IEND chunk within the file");
        }

        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null || codec.EncodedFormat != format)
        {
            // A recognised signature followed by a header the decoder cannot read: the file is damaged.
            throw Corrupt(format, "its header cannot be read");
        }

        CheckSize(codec.Info.Width, codec.Info.Height);
        var grey = Read(codec, format, ScaledSize(codec, format, minimumSide));
        return grey.ReduceTo(minimumSide).Oriented(ExifOrientation.Read(bytes));
    }

    // libjpeg-turbo decodes at n/8 of the size in the DCT domain; the smallest n whose output keeps both sides.
    private static SKSizeI ScaledSize(SKCodec codec, SKEncodedImageFormat format, int minimumSide)
    {
        var full = codec.Info.Size;
        if (format != SKEncodedImageFormat.Jpeg || minimumSide <= 0)
        {
            return full;
        }

        for (var eighths = 1; eighths < 8; eighths++)
        {
            var scaled = codec.GetScaledDimensions(eighths / 8f);
            if (scaled.Width >= minimumSide && scaled.Height >= minimumSide && scaled.Width <= full.Width && scaled.Height <= full.Height)
            {
                return scaled;
            }
        }

        return full;
    }

    // Grey files are decoded to grey directly (16-bit samples reduced by libpng); colour ones to RGBA, then to
    // BT.709 luminance as ImageSharp's L8 conversion computes it, alpha ignored.
    private static GreyPixels Read(SKCodec codec, SKEncodedImageFormat format, SKSizeI size)
    {
        var grey = new byte[size.Width * size.Height];
        if (codec.Info.ColorType == SKColorType.Gray8)
        {
            Check(codec.GetPixels(new SKImageInfo(size.Width, size.Height, SKColorType.Gray8, SKAlphaType.Opaque), grey), format);
            return new GreyPixels(grey, size.Width, size.Height);
        }

        var length = grey.Length * 4;
        var rgba = length <= PooledColourBytes ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);
        try
        {
            Check(codec.GetPixels(new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul), rgba), format);
            for (var i = 0; i < grey.Length; i++)
            {
                grey[i] = (byte)((rgba[4 * i] * .2126F) + (rgba[(4 * i) + 1] * .7152F) + (rgba[(4 * i) + 2] * .0722F) + 0.5F);
            }
        }
        finally
        {
            if (length <= PooledColourBytes)
            {
                ArrayPool<byte>.Shared.Return(rgba);
            }
        }

        return new GreyPixels(grey, size.Width, size.Height);
    }

    private static void Check(SKCodecResult result, SKEncodedImageFormat format)
    {
        if (result != SKCodecResult.Success)
        {
            throw Corrupt(format, result switch
            {
                SKCodecResult.IncompleteInput => "the image data ends early",
                SKCodecResult.ErrorInInput or SKCodecResult.InvalidInput => "the image data is invalid",
                _ => $"decoder result {result}",
            });
        }
    }

    private static SKEncodedImageFormat Format(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith([(byte)0xFF, (byte)0xD8]))
        {
            return SKEncodedImageFormat.Jpeg;
        }

        if (bytes.StartsWith(PngSignature))
        {
            return SKEncodedImageFormat.Png;
        }

        var other = OtherImageFormat(bytes);
        throw other is null
            ? new InvalidImageException(InvalidImageReason.NotAnImage, "The file is not a JPEG or PNG image.")
            : new InvalidImageException(
                InvalidImageReason.UnsupportedFormat,
                $"The file is a {other} image, not a JPEG or PNG image.");
    }

    // Called with the header's dimensions, before any pixel buffer is allocated.
    private void CheckSize(int width, int height)
    {
        if (width > Limits.MaxSide || height > Limits.MaxSide || (long)width * height > Limits.MaxPixels)
        {
            throw new InvalidImageException(
                InvalidImageReason.TooManyPixels,
                $"The image is {width} x {height} pixels, over the limit of {Limits.MaxPixels:N0} pixels " +
                $"and {Limits.MaxSide} pixels a side.");
        }

        var (shorter, longer) = (Math.Min(width, height), Math.Max(width, height));
        if (shorter < Limits.MinSide)
        {
            throw new InvalidImageException(
                InvalidImageReason.TooSmall,
                $"The image is {width} x {height} pixels, under the minimum of {Limits.MinSide} pixels a side: " +
                "send the X-ray at its original resolution (chest films are several hundred pixels a side), not a thumbnail.");
        }

        if (longer > Limits.MaxAspectRatio * shorter)
        {
            throw new InvalidImageException(
                InvalidImageReason.ExtremeAspectRatio,
                $"The image is {width} x {height} pixels, an aspect ratio of {(double)longer / shorter:0.##}:1, over the " +
                $"limit of {Limits.MaxAspectRatio:0.##}:1: send one whole chest film, not a strip, a panorama or a collage.");
        }
    }

    private static InvalidImageException Corrupt(SKEncodedImageFormat format, string detail) =>
        new(
            InvalidImageReason.Corrupt,
            $"The {format.ToString().ToUpperInvariant()} file is truncated or damaged and cannot be decoded ({detail}).");

    // A JPEG cut short can decode without complaint, the missing part filled with grey. Entropy-coded data
    // never holds an unescaped 0xFF 0xD9, so a complete file has its end-of-image marker after its last
    // start-of-scan marker; data appended after the end (camera trailers) does not matter.
    private static bool EndsAfterLastScan(ReadOnlySpan<byte> bytes) =>
        bytes.LastIndexOf([(byte)0xFF, (byte)0xD9]) > bytes.LastIndexOf([(byte)0xFF, (byte)0xDA]);

    // Only to tell the uploader "wrong format" rather than "not an image"; these formats are never decoded.
    private static string? OtherImageFormat(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith("GIF8"u8))
        {
            return "GIF";
        }

        if (bytes.StartsWith("BM"u8))
        {
            return "BMP";
        }

        if (bytes.StartsWith("II*\0"u8) || bytes.StartsWith("MM\0*"u8))
        {
            return "TIFF";
        }

        if (bytes.StartsWith("RIFF"u8) && bytes.Length >= 12 && bytes[8..12].SequenceEqual("WEBP"u8))
        {
            return "WebP";
        }

        return bytes.Length >= 132 && bytes[128..132].SequenceEqual("DICM"u8) ? "DICOM" : null;
    }
}
