using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Memory;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Pneumonia.Ml.Images;

/// <summary>
/// Decodes untrusted JPEG and PNG files to grey images, refusing anything else with an
/// <see cref="InvalidImageException"/>. Thread-safe: create one and share it.
/// </summary>
/// <remarks>
/// ImageSharp 2.x has known flaws with crafted files, so the attack surface is kept small: a private configuration
/// with only the JPEG and PNG decoders (never <see cref="Configuration.Default"/>, which also parses GIF, BMP, TGA
/// and more), the size limits checked on the header before the full decode, and a memory allocator whose single
/// allocations are capped as a second line of defence. Metadata (EXIF, ICC, XMP, PNG text chunks) is not parsed by
/// the library: a PNG zTXt chunk that inflates to 64 MB was decompressed in full before this (found by the
/// reliability suite). The one tag that changes the picture, the EXIF orientation, is read by the bounded
/// <see cref="ExifOrientation"/> reader and applied, so every image comes out as a viewer displays it.
/// </remarks>
public sealed class XrayImageDecoder
{
    // Rgba64 is the widest pixel a decoder may hold in a buffer; a buffer for the largest allowed image in it is
    // therefore the biggest honest allocation.
    private const int WidestPixelBytes = 8;
    private const int PoolMegabytes = 64;

    private readonly Configuration _configuration;

    /// <summary>Creates a decoder with the given limits, or <see cref="ImageLimits.Default"/>.</summary>
    public XrayImageDecoder(ImageLimits? limits = null)
    {
        Limits = limits ?? ImageLimits.Default;
        Limits.Validate();
        var allocationLimitMegabytes = (int)Math.Min(int.MaxValue, Math.Max(1, Limits.MaxPixels * WidestPixelBytes >> 20));
        _configuration = new Configuration(new JpegConfigurationModule(), new PngConfigurationModule())
        {
            MemoryAllocator = MemoryAllocator.Create(new MemoryAllocatorOptions
            {
                MaximumPoolSizeMegabytes = PoolMegabytes,
                AllocationLimitMegabytes = allocationLimitMegabytes,
            }),
        };
        _configuration.ImageFormatsManager.SetDecoder(JpegFormat.Instance, new JpegDecoder { IgnoreMetadata = true });
        _configuration.ImageFormatsManager.SetDecoder(PngFormat.Instance, new PngDecoder { IgnoreMetadata = true });
    }

    /// <summary>The limits this decoder enforces.</summary>
    public ImageLimits Limits { get; }

    /// <summary>
    /// Checks <paramref name="bytes"/> against the limits, then decodes them to 8-bit grey: colour is converted to
    /// luminance, 16-bit samples are scaled to 8 bits, and an EXIF orientation is applied (the image comes out
    /// upright, as displayed). The caller owns (and disposes) the returned image.
    /// </summary>
    /// <exception cref="InvalidImageException">The file is empty, too large, not a JPEG or PNG, or damaged.</exception>
    public Image<L8> DecodeGrey(byte[] bytes)
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

        var format = CheckHeader(bytes);
        if (format == JpegFormat.Instance && !EndsAfterLastScan(bytes))
        {
            throw Corrupt(format, "no end-of-image marker after the last scan");
        }

        Image<L8> image;
        try
        {
            image = Image.Load<L8>(_configuration, bytes, _configuration.ImageFormatsManager.FindDecoder(format));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw Corrupt(format, ex.Message);
        }

        Orient(image, ExifOrientation.Read(bytes));
        return image;
    }

    // EXIF orientation 1-8 says where the stored rows and columns belong on screen; each case turns the stored image
    // into the displayed one (5 and 7 are the two diagonal mirrors: a quarter turn plus a horizontal flip).
    private static void Orient(Image<L8> image, int orientation)
    {
        var (rotate, flip) = orientation switch
        {
            2 => (RotateMode.None, FlipMode.Horizontal),
            3 => (RotateMode.Rotate180, FlipMode.None),
            4 => (RotateMode.None, FlipMode.Vertical),
            5 => (RotateMode.Rotate90, FlipMode.Horizontal),
            6 => (RotateMode.Rotate90, FlipMode.None),
            7 => (RotateMode.Rotate270, FlipMode.Horizontal),
            8 => (RotateMode.Rotate270, FlipMode.None),
            _ => (RotateMode.None, FlipMode.None),
        };
        if (rotate != RotateMode.None || flip != FlipMode.None)
        {
            image.Mutate(context => context.RotateFlip(rotate, flip));
        }
    }

    // Identify reads only the header, so the dimension checks run before any pixel buffer exists.
    private IImageFormat CheckHeader(byte[] bytes)
    {
        IImageInfo? info;
        IImageFormat? format;
        try
        {
            info = Image.Identify(_configuration, bytes, out format);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A recognised signature followed by a broken header: the format is known, the file is damaged.
            throw Corrupt(Image.DetectFormat(_configuration, bytes), ex.Message);
        }

        if (info is null || format is null)
        {
            var other = OtherImageFormat(bytes);
            throw other is null
                ? new InvalidImageException(InvalidImageReason.NotAnImage, "The file is not a JPEG or PNG image.")
                : new InvalidImageException(
                    InvalidImageReason.UnsupportedFormat,
                    $"The file is a {other} image, not a JPEG or PNG image.");
        }

        if (info.Width > Limits.MaxSide || info.Height > Limits.MaxSide || (long)info.Width * info.Height > Limits.MaxPixels)
        {
            throw new InvalidImageException(
                InvalidImageReason.TooManyPixels,
                $"The image is {info.Width} x {info.Height} pixels, over the limit of {Limits.MaxPixels:N0} pixels " +
                $"and {Limits.MaxSide} pixels a side.");
        }

        var (shorter, longer) = (Math.Min(info.Width, info.Height), Math.Max(info.Width, info.Height));
        if (shorter < Limits.MinSide)
        {
            throw new InvalidImageException(
                InvalidImageReason.TooSmall,
                $"The image is {info.Width} x {info.Height} pixels, under the minimum of {Limits.MinSide} pixels a side: " +
                "send the X-ray at its original resolution (chest films are several hundred pixels a side), not a thumbnail.");
        }

        if (longer > Limits.MaxAspectRatio * shorter)
        {
            throw new InvalidImageException(
                InvalidImageReason.ExtremeAspectRatio,
                $"The image is {info.Width} x {info.Height} pixels, an aspect ratio of {(double)longer / shorter:0.##}:1, over the " +
                $"limit of {Limits.MaxAspectRatio:0.##}:1: send one whole chest film, not a strip, a panorama or a collage.");
        }

        return format;
    }

    private static InvalidImageException Corrupt(IImageFormat? format, string detail) =>
        new(
            InvalidImageReason.Corrupt,
            $"The {format?.Name ?? "image"} file is truncated or damaged and cannot be decoded ({detail}).");

    // ImageSharp decodes a JPEG cut short without complaint, filling the missing part with grey. Entropy-coded data
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
