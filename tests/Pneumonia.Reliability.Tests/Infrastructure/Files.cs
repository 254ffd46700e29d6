using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

namespace Pneumonia.Reliability.Tests.Infrastructure;

/// <summary>Real X-rays, zips, multipart bodies, and views of a data directory as the tests check it.</summary>
public static class Files
{
    private static readonly string[] Labels = ["NORMAL", "PNEUMONIA"];

    /// <summary><paramref name="count"/> distinct real images per label from one split, with their labels.</summary>
    public static IReadOnlyList<(string Name, byte[] Bytes, string Label)> Xrays(string split, int count, int skip = 0) =>
        [.. Labels.SelectMany(label => TestData.Images(split, label, skip + count).Skip(skip)
            .Select(path => (Path.GetFileName(path), File.ReadAllBytes(path), label)))
            .DistinctBy(image => Sha256(image.Item2))];

    public static byte[] OneXray(int index = 0) => File.ReadAllBytes(TestData.Images("test", "NORMAL", index + 1)[index]);

    /// <summary>A zip with each image under its label folder.</summary>
    public static byte[] LabelledZip(IEnumerable<(string Name, byte[] Bytes, string Label)> images) =>
        Zip([.. images.Select(i => ($"{i.Label}/{i.Name}", i.Bytes))]);

    public static byte[] Zip(params (string Name, byte[] Bytes)[] entries)
    {
        using var stream = new MemoryStream();
        using (var archive = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var content = archive.CreateEntry(name, CompressionLevel.Fastest).Open();
                content.Write(bytes);
            }
        }

        return stream.ToArray();
    }

    public static MultipartFormDataContent Form(string field, IEnumerable<(string Name, byte[] Bytes)> files, string? label = null)
    {
        var form = new MultipartFormDataContent();
        foreach (var (name, bytes) in files)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(content, field, name);
        }

        if (label is not null)
        {
            form.Add(new StringContent(label), "label");
        }

        return form;
    }

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Every file under <paramref name="root"/> with the SHA-256 of its bytes (relative path -> hash).</summary>
    public static Dictionary<string, string> Snapshot(string root) =>
        Directory.Exists(root)
            ? Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
                .ToDictionary(path => Path.GetRelativePath(root, path), path => Sha256(File.ReadAllBytes(path)), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// The image store as stored: hash-named files (each must hash to its name: no half-written image under a final
    /// name) and leftover temp files.
    /// </summary>
    public static (IReadOnlyList<string> Images, IReadOnlyList<string> BadImages, IReadOnlyList<string> TempFiles) Store(string imagesDirectory)
    {
        if (!Directory.Exists(imagesDirectory))
        {
            return ([], [], []);
        }

        var files = Directory.EnumerateFiles(imagesDirectory, "*", SearchOption.AllDirectories).ToList();
        var temp = files.Where(f => f.EndsWith(".tmp", StringComparison.Ordinal)).ToList();
        var images = files.Except(temp).ToList();
        var bad = images.Where(f => Sha256(File.ReadAllBytes(f)) != Path.GetFileName(f)).ToList();
        return ([.. images.Select(Path.GetFileName).OfType<string>()], bad, temp);
    }

    /// <summary>Grain state files of one state name (image, batch, dataset, job...) under a silo data directory.</summary>
    public static int StateFiles(string stateDirectory, string stateName) =>
        Directory.Exists(stateDirectory)
            ? Directory.EnumerateFiles(stateDirectory, "*.json", SearchOption.AllDirectories)
                .Count(f => string.Equals(Path.GetFileName(Path.GetDirectoryName(f)), stateName, StringComparison.Ordinal))
            : 0;

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        await response.Content.ReadFromJsonAsync<JsonElement>();

    public static async Task<JsonElement> GetJsonAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return await response.JsonAsync();
    }

    /// <summary>Posts one X-ray to /predict and returns the status and the version that answered.</summary>
    public static async Task<(System.Net.HttpStatusCode Status, string? Version)> PredictAsync(this HttpClient client, int index = 0)
    {
        using var form = Form("file", [("x.jpeg", OneXray(index))]);
        using var response = await client.PostAsync("/predict", form);
        if (!response.IsSuccessStatusCode)
        {
            return (response.StatusCode, null);
        }

        var json = await response.JsonAsync();
        return (response.StatusCode, json.GetProperty("model_version").GetString());
    }
}
