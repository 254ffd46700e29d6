using System.IO.Compression;

namespace Pneumonia.WebApp.Tests;

/// <summary>Files a person would pick: real X-rays from the shared data, a text file posing as an image, zips.</summary>
internal static class Files
{
    public static FilePayload Xray(string split, string label, int index)
    {
        var path = TestData.Images(split, label, index + 1)[index];
        return new FilePayload { Name = Path.GetFileName(path), MimeType = "image/jpeg", Buffer = File.ReadAllBytes(path) };
    }

    public static FilePayload NotAnImage(string name) =>
        new() { Name = name, MimeType = "image/jpeg", Buffer = "radiologist notes, not an image"u8.ToArray() };

    /// <summary>A zip whose entries are (path inside the archive, bytes).</summary>
    public static FilePayload Zip(string name, params (string Path, byte[] Bytes)[] entries)
    {
        using var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (path, bytes) in entries)
            {
                using var content = archive.CreateEntry(path).Open();
                content.Write(bytes);
            }
        }

        return new FilePayload { Name = name, MimeType = "application/zip", Buffer = stream.ToArray() };
    }
}
