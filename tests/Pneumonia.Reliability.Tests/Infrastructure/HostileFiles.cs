using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Pneumonia.Reliability.Tests.Infrastructure;

/// <summary>Hostile archives and images, made in memory.</summary>
public static class HostileFiles
{
    /// <summary>A zip whose single entry of zeros expands <paramref name="uncompressedBytes"/> from about a thousandth of that.</summary>
    public static byte[] ZipBomb(long uncompressedBytes, string entryName = "NORMAL/bomb.jpeg")
    {
        using var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var content = archive.CreateEntry(entryName, CompressionLevel.SmallestSize).Open();
            var zeros = new byte[1 << 20];
            for (long written = 0; written < uncompressedBytes; written += zeros.Length)
            {
                content.Write(zeros, 0, (int)Math.Min(zeros.Length, uncompressedBytes - written));
            }
        }

        return stream.ToArray();
    }

    /// <summary>Zips inside zips, <paramref name="depth"/> levels, the innermost a bomb.</summary>
    public static byte[] NestedBomb(int depth, long innermostBytes)
    {
        var archive = ZipBomb(innermostBytes, "PNEUMONIA/inner.jpeg");
        for (var level = 0; level < depth; level++)
        {
            archive = Files.Zip(($"level{level}.zip", archive), ($"disguised{level}.jpeg", archive));
        }

        return archive;
    }

    /// <summary>A small zip whose central directory declares <paramref name="declaredBytes"/> (up to 4 GB) for its entry.</summary>
    public static byte[] ZipDeclaring(uint declaredBytes, byte[] content)
    {
        var zip = Files.Zip(("NORMAL/declared.jpeg", content));
        var central = zip.AsSpan().LastIndexOf("PK\x01\x02"u8);
        BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(central + 24), declaredBytes);
        return zip;
    }

    /// <summary>A zip with a symbolic-link entry (Unix mode 0120777) pointing at /etc/passwd.</summary>
    public static byte[] ZipWithLink()
    {
        using var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = archive.CreateEntry("NORMAL/link.jpeg");
            entry.ExternalAttributes = unchecked((int)0xA1FF0000);
            using var content = entry.Open();
            content.Write("/etc/passwd"u8);
        }

        return stream.ToArray();
    }

    /// <summary><paramref name="count"/> entries of a few bytes each.</summary>
    public static byte[] ManyTinyEntries(int count, byte[]? oneRealImage)
    {
        using var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            for (var i = 0; i < count; i++)
            {
                using var content = archive.CreateEntry($"NORMAL/tiny{i}.jpeg", CompressionLevel.NoCompression).Open();
                content.Write(i == 0 && oneRealImage is not null ? oneRealImage : Encoding.ASCII.GetBytes($"x{i}"));
            }
        }

        return stream.ToArray();
    }

    /// <summary>A valid small PNG carrying a zTXt text chunk that inflates to <paramref name="textBytes"/> (a metadata bomb).</summary>
    public static byte[] PngWithTextBomb(int textBytes)
    {
        var png = CraftedImages.PngClaiming(64, 64);
        using var compressed = new MemoryStream();
        compressed.Write("Comment\0\0"u8);
        using (var zlib = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            zlib.Write(new byte[textBytes]);
        }

        // Insert the chunk right after IHDR (8-byte signature + 25-byte IHDR chunk).
        return [.. png[..33], .. Chunk("zTXt", compressed.ToArray()), .. png[33..]];
    }

    /// <summary>A PNG whose IDAT chunk declares 2 GB but holds a few bytes.</summary>
    public static byte[] PngWithLyingChunkLength()
    {
        var png = CraftedImages.PngClaiming(64, 64);
        var idat = png.AsSpan().IndexOf("IDAT"u8) - 4;
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(idat), int.MaxValue);
        return png;
    }

    /// <summary>A real JPEG with a zip appended (a valid JPEG and a valid zip at once).</summary>
    public static byte[] JpegZipPolyglot(byte[] jpeg) => [.. jpeg, .. Files.Zip(("NORMAL/hidden.jpeg", jpeg))];

    /// <summary>A zip signature followed by a JPEG (looks like an archive, is none).</summary>
    public static byte[] ZipHeaderThenJpeg(byte[] jpeg) => [.. "PK\x03\x04"u8, .. jpeg];

    /// <summary>A JPEG whose every Huffman table is replaced by garbage.</summary>
    public static byte[] JpegWithBrokenHuffmanTables(byte[] jpeg)
    {
        var broken = (byte[])jpeg.Clone();
        for (var i = 2; i + 4 < broken.Length; i++)
        {
            if (broken[i] == 0xFF && broken[i + 1] == 0xC4)
            {
                var length = BinaryPrimitives.ReadUInt16BigEndian(broken.AsSpan(i + 2));
                broken.AsSpan(i + 5, Math.Min(length - 3, broken.Length - i - 5)).Fill(0xFF);
            }
        }

        return broken;
    }

    private static byte[] Chunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, data.Length);
        Encoding.ASCII.GetBytes(type, chunk.AsSpan(4));
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), CraftedImages.Crc32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }
}
