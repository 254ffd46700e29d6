using System.IO.Compression;
using System.Net.Http.Headers;
using SixLabors.ImageSharp.Processing;

namespace Pneumonia.Api.Tests;

/// <summary>Real X-rays, crafted bad files, zips and multipart bodies.</summary>
internal static class TestFiles
{
    public static byte[] Image(string split, string label, int index) =>
        File.ReadAllBytes(TestData.Images(split, label, index + 1)[index]);

    public static IReadOnlyList<(string Name, byte[] Bytes)> Images(string split, string label, int count) =>
        [.. TestData.Images(split, label, count).Select(path => (Path.GetFileName(path), File.ReadAllBytes(path)))];

    public static byte[] Truncated(byte[] jpeg) => jpeg[..(jpeg.Length / 2)];

    /// <summary>A real X-ray squashed to <paramref name="width"/> x <paramref name="height"/>, as a JPEG.</summary>
    public static byte[] Resized(byte[] jpeg, int width, int height)
    {
        using var image = SixLabors.ImageSharp.Image.Load(jpeg);
        image.Mutate(context => context.Resize(width, height));
        using var stream = new MemoryStream();
        image.Save(stream, new SixLabors.ImageSharp.Formats.Jpeg.JpegEncoder());
        return stream.ToArray();
    }

    public static byte[] Text => "radiologist notes, not an image"u8.ToArray();

    /// <summary>A 1x1 GIF.</summary>
    public static byte[] Gif => Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7");

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
}
