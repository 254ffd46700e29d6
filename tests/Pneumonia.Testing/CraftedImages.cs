using System.Buffers.Binary;
using System.IO.Compression;

namespace Pneumonia.Testing;

/// <summary>Hand-made hostile image files: headers that claim more pixels than the file holds (decompression bombs).</summary>
public static class CraftedImages
{
    /// <summary>
    /// A PNG of a few hundred bytes whose header claims <paramref name="width"/> x <paramref name="height"/>
    /// 8-bit grey pixels: a decompression bomb if decoded without checking the header. Up to 16 MB of pixel data it is
    /// a valid all-black image (every row there); beyond, its data stops after 4 KB, as only a header check should see it.
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
            // Each row is a filter byte and its pixels; zeros compress about 1000:1.
            var rows = ((long)width + 1) * height;
            zlib.Write(new byte[rows <= 16 << 20 ? rows : 4096]);
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

    /// <summary>PNG's CRC-32 (polynomial 0xEDB88320) of a chunk's type and data; System.IO.Hashing is not worth a package.</summary>
    public static uint Crc32(ReadOnlySpan<byte> bytes)
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
