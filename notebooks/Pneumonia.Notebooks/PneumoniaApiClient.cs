using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pneumonia.Notebooks;

/// <summary>The REST API's answers the notebooks use, as the API sends them (snake_case JSON).</summary>
public sealed record ApiPrediction(string Label, double Confidence, double Probability, string ModelVersion, double Threshold, double ElapsedMs, string? Heatmap);

public sealed record ApiRejectedFile(string Name, string Reason, string Code);

public sealed record ApiUploadResult(string BatchId, int Accepted, int Duplicates, IReadOnlyList<ApiRejectedFile> Rejected);

public sealed record ApiSampleImage(string Sha256, string Label, string Split, int Width, int Height, string ThumbnailPng, IReadOnlyList<int> Histogram);

public sealed record ApiLabelHistogram(string Label, int Images, IReadOnlyList<double> Histogram);

public sealed record ApiDatasetSamples(int Bins, IReadOnlyList<ApiLabelHistogram> Histograms, IReadOnlyList<ApiSampleImage> Samples);

/// <summary>A small client of the REST API (docs/API.md) for what has no grain call: uploads, HTTP predictions, sample thumbnails.</summary>
public sealed class PneumoniaApiClient : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowReadingFromString };

    private readonly HttpClient _http;

    public PneumoniaApiClient(Uri baseAddress, string? apiKey)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (!string.IsNullOrEmpty(apiKey))
        {
            _http.DefaultRequestHeaders.Add("X-API-Key", apiKey);
        }
    }

    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary><c>POST /predict?heatmap=true</c> with one file.</summary>
    public async Task<ApiPrediction> PredictAsync(string path, bool heatmap = true)
    {
        using var form = Form("file", [path]);
        using var response = await _http.PostAsync($"predict?heatmap={(heatmap ? "true" : "false")}", form);
        return await ReadAsync<ApiPrediction>(response);
    }

    /// <summary><c>POST /upload</c>: labelled files, one batch.</summary>
    public async Task<ApiUploadResult> UploadAsync(IEnumerable<string> paths, string label)
    {
        using var form = Form("files", paths);
        form.Add(new StringContent(label), "label");
        using var response = await _http.PostAsync("upload", form);
        return await ReadAsync<ApiUploadResult>(response);
    }

    /// <summary><c>GET /dataset/samples</c>: thumbnails and intensity histograms per label.</summary>
    public async Task<ApiDatasetSamples> GetSamplesAsync()
    {
        using var response = await _http.GetAsync("dataset/samples");
        return await ReadAsync<ApiDatasetSamples>(response);
    }

    public void Dispose() => _http.Dispose();

    private static MultipartFormDataContent Form(string field, IEnumerable<string> paths)
    {
        var form = new MultipartFormDataContent();
        foreach (var path in paths)
        {
            var content = new ByteArrayContent(File.ReadAllBytes(path));
            content.Headers.ContentType = new MediaTypeHeaderValue(path.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg");
            form.Add(content, field, Path.GetFileName(path));
        }

        return form;
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response)
    {
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode} from {response.RequestMessage?.RequestUri}: {await response.Content.ReadAsStringAsync()}", null, response.StatusCode);
        }

        return await response.Content.ReadFromJsonAsync<T>(Json)
            ?? throw new InvalidOperationException($"Empty answer from {response.RequestMessage?.RequestUri}.");
    }
}
