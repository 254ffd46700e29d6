using System.Buffers.Binary;
using System.IO.Compression;
using System.Net.Http.Headers;

namespace Pneumonia.Api.Tests;

/// <summary>Real X-rays, crafted bad files, zips and multipart bodies.</summary>
internal static class TestFiles
{
    public static byte[] Image(string split, string label, int index) =>
        File.ReadAllBytes(TestData.Images(split, label, index + 1)[index]);

    public static IReadOnlyList<(string Name, byte[] Bytes)> Images(string split, string label, int count) =>
        [.. TestData.Images(split, label, count).Select(path => (Path.GetFileName(path), File.ReadAllBytes(path)))];

    public static byte[] Truncated(byte[] jpeg) => jpeg[..(jpeg.Length / 2)];

    public static byte[] Text => "radiologist notes, not an image"u8.ToArray();

    /// <summary>A 1x1 GIF.</summary>
    public static byte[] Gif => Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

    /// <summary>A valid PNG of a few hundred bytes whose header claims width x height grey pixels.</summary>
    public static byte[] PngClaiming(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
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

    /// <summary>A zip of the given entries; an entry with <c>Link</c> set gets symbolic-link attributes.</summary>
    public static byte[] Zip(params (string Name, byte[] Bytes, bool Link)[] entries)
    {
        using var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes, link) in entries)
            {
                var entry = archive.CreateEntry(name);
                if (link)
                {
                    entry.ExternalAttributes = unchecked((int)0xA1FF0000);
                }

                using var content = entry.Open();
                content.Write(bytes);
            }
        }

        return stream.ToArray();
    }

    public static byte[] Zip(params (string Name, byte[] Bytes)[] entries) => Zip([.. entries.Select(e => (e.Name, e.Bytes, false))]);

    /// <summary>A multipart body with every file under <paramref name="field"/> and optional text fields.</summary>
    public static MultipartFormDataContent Form(string field, IEnumerable<(string Name, byte[] Bytes)> files, params (string Key, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, bytes) in files)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(content, field, name);
        }

        foreach (var (key, value) in fields)
        {
            form.Add(new StringContent(value), key);
        }

        return form;
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
