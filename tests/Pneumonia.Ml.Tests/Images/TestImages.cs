using System.Buffers.Binary;
using System.IO.Compression;
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

    /// <summary>
    /// A valid PNG of a few hundred bytes whose header claims <paramref name="width"/> x <paramref name="height"/>
    /// 8-bit grey pixels: a decompression bomb if decoded without checking the header.
    /// </summary>
    public static byte[] PngClaiming(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 0; // grey; compression, filter and interlace stay 0
        WriteChunk(stream, "IHDR", header);
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(new byte[4096]);
        }

        WriteChunk(stream, "IDAT", compressed.ToArray());
        WriteChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    /// <summary>A copy of a real JPEG whose baseline or progressive frame header claims other dimensions.</summary>
    public static byte[] JpegClaiming(byte[] jpeg, ushort width, ushort height)
    {
        var patched = (byte[])jpeg.Clone();
        for (var i = 2; i + 9 < patched.Length; i++)
        {
            if (patched[i] == 0xFF && patched[i + 1] is 0xC0 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(patched.AsSpan(i + 5), height);
                BinaryPrimitives.WriteUInt16BigEndian(patched.AsSpan(i + 7), width);
                return patched;
            }
        }

        throw new InvalidOperationException("No SOF0/SOF2 marker in the JPEG.");
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        var typeAndData = new byte[4 + data.Length];
        System.Text.Encoding.ASCII.GetBytes(type, typeAndData);
        data.CopyTo(typeAndData, 4);
        stream.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        stream.Write(word);
    }

    // PNG's CRC-32 (polynomial 0xEDB88320); System.IO.Hashing is not referenced and not worth a package.
    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
