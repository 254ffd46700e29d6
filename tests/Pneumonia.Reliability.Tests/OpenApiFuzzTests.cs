using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Pneumonia.Reliability.Tests.Infrastructure;

namespace Pneumonia.Reliability.Tests;

/// <summary>
/// A bounded, seeded fuzz run of every operation in /openapi/v1.json: random and malformed parameters, bodies and
/// headers. No response may be a 5xx or leak a stack trace or a server path, and the server must still answer.
/// The real server process (Kestrel) is fuzzed: the in-memory test server cannot carry malformed URLs.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class OpenApiFuzzTests
{
    public const int Seed = 20261126;
    private const int RequestsPerOperation = 30;

    // Streams for as long as the client listens: not a request/response operation.
    private static readonly string[] Streaming = ["/dashboard/Trace", "/jobs/{id}/events"];

    private static readonly string[] Strings =
    [
        "", " ", "x", "NORMAL", "../../etc/passwd", "..\\..\\windows", "%2e%2e%2f%2e%2e%2f", "/etc/passwd", "C:\\boot.ini", "\u0000", "null", "undefined",
        "{id}", "' OR 1=1 --", "<script>alert(1)</script>", "\u202e\u00e9\u4e2d\ud83d\ude00", new string('a', 5000), "-1", "0", "1", "2147483648",
        "-9223372036854775809", "1e309", "NaN", "true", "false", "maybe", "[]", "{}", "pneumonia-20261126-000000-000000", "job-1",
    ];

    [Fact]
    public async Task Every_operation_survives_random_and_malformed_requests_without_a_5xx()
    {
        using var root = new TempDirectory();
        Directory.CreateDirectory(root.Combine("imports"));
        await using var api = await ApiProcess.StartAsync(root.Path, new Dictionary<string, string> { ["Pneumonia:Api:ImportDirectory"] = root.Combine("imports") });
        // Raw UTF-8 in headers (keys, file names) is part of the fuzz: HttpClient refuses it unless told an encoding.
        using var handler = new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8 };
        using var client = new HttpClient(handler) { BaseAddress = api.Client.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var document = await client.GetJsonAsync("/openapi/v1.json");
        var random = new Random(Seed);
        var failures = new List<string>();
        var requests = 0;
        var operations = 0;
        var statuses = new SortedDictionary<int, int>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            if (Streaming.Contains(path.Name))
            {
                continue;
            }

            foreach (var operation in path.Value.EnumerateObject())
            {
                operations++;
                for (var i = 0; i < RequestsPerOperation; i++)
                {
                    using var request = Build(random, operation.Name, path.Name, operation.Value);
                    var described = $"{request.Method} {request.RequestUri}";
                    using var response = await client.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    requests++;
                    var status = (int)response.StatusCode;
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                    if (status >= 500 || Leaks(body, root.Path))
                    {
                        failures.Add($"{status} {Shorten(described)}: {Shorten(body)}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} failures:\n{string.Join('\n', failures)}\n--- server log ---\n{Shorten(api.Output, 6000)}");
        Assert.False(api.HasExited, "the server process died");
        Assert.True(operations >= 18, $"only {operations} operations in the document");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PredictAsync()).Status);
        ReliabilityLog.Record(Areas.Properties, $"fuzz of every OpenAPI operation (seed {Seed}, {RequestsPerOperation} requests each)", requests,
            $"{operations} operations, {requests} requests; statuses {string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))}; no 5xx, no stack trace or server path in any body; health and predictions still answer");
    }

    private static bool Leaks(string body, string dataRoot) =>
        body.Contains("   at ", StringComparison.Ordinal) || body.Contains(dataRoot, StringComparison.Ordinal)
        || body.Contains(TestData.RepositoryRoot, StringComparison.Ordinal) || body.Contains("Exception:", StringComparison.Ordinal);

    private static HttpRequestMessage Build(Random random, string method, string template, JsonElement operation)
    {
        var parameters = operation.TryGetProperty("parameters", out var list) ? list.EnumerateArray().ToList() : [];
        var path = template;
        var query = new List<string>();
        foreach (var parameter in parameters)
        {
            var name = parameter.GetProperty("name").GetString()!;
            var value = Value(random, parameter);
            if (parameter.GetProperty("in").GetString() == "path")
            {
                path = path.Replace($"{{{name}}}", Uri.EscapeDataString(value), StringComparison.Ordinal);
            }
            else if (random.Next(4) > 0)
            {
                query.Add($"{Uri.EscapeDataString(name)}={Uri.EscapeDataString(value)}");
                if (random.Next(8) == 0)
                {
                    query.Add($"{Uri.EscapeDataString(name)}={Uri.EscapeDataString(Pick(random, Strings))}");
                }
            }
        }

        if (random.Next(6) == 0)
        {
            query.Add($"unexpected={Uri.EscapeDataString(Pick(random, Strings))}");
        }

        var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path + (query.Count > 0 ? "?" + string.Join('&', query) : string.Empty));
        switch (random.Next(4))
        {
            case 0:
                request.Headers.Add("X-API-Key", ReliabilityApiFactory.ApiKey);
                break;
            case 1:
                request.Headers.TryAddWithoutValidation("X-API-Key", Pick(random, Strings));
                break;
            case 2:
                request.Headers.Add("X-API-Key", ReliabilityApiFactory.ApiKey);
                request.Headers.TryAddWithoutValidation("Accept", Pick(random, ["application/xml", "*/*;q=abc", "text/html", "\u00ff"]));
                break;
        }

        if (request.Method != HttpMethod.Get)
        {
            request.Content = Body(random);
        }

        return request;
    }

    private static string Value(Random random, JsonElement parameter)
    {
        var schema = parameter.TryGetProperty("schema", out var s) ? s.ToString() : string.Empty;
        return random.Next(3) switch
        {
            0 when schema.Contains("integer", StringComparison.Ordinal) => random.Next(-5, 300).ToString(System.Globalization.CultureInfo.InvariantCulture),
            0 when schema.Contains("boolean", StringComparison.Ordinal) => random.Next(2) == 0 ? "true" : "false",
            _ => Pick(random, Strings),
        };
    }

    private static HttpContent? Body(Random random)
    {
        var bytes = new byte[random.Next(0, 4096)];
        random.NextBytes(bytes);
        switch (random.Next(7))
        {
            case 0:
                return null;
            case 1:
                return new ByteArrayContent(bytes);
            case 2:
                return new StringContent("{\"epochs\": \"many\", \"file\": [1,2,", Encoding.UTF8, "application/json");
            case 3:
            {
                var content = new ByteArrayContent(bytes);
                content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data");
                return content;
            }

            case 4:
            {
                var content = new ByteArrayContent(Encoding.ASCII.GetBytes("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jpeg\"\r\n\r\nunterminated"));
                content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=b");
                return content;
            }

            default:
            {
                var form = new MultipartFormDataContent();
                foreach (var field in new[] { "file", "files", "label", Pick(random, Strings) }.Where(_ => random.Next(2) == 0))
                {
                    var part = new ByteArrayContent(random.Next(3) == 0 ? Files.OneXray(random.Next(3)) : bytes);
                    part.Headers.ContentType = new MediaTypeHeaderValue(Pick(random, ["image/jpeg", "application/zip", "text/plain"]));
                    // Written by hand: HttpClient would refuse the hostile names the server must cope with.
                    part.Headers.TryAddWithoutValidation("Content-Disposition", $"form-data; name=\"{field}\"; filename=\"{Pick(random, Strings)}\"");
                    form.Add(part);
                }

                if (random.Next(2) == 0)
                {
                    form.Add(new StringContent(Pick(random, Strings)), "label");
                }

                return form;
            }
        }
    }

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];

    private static string Shorten(string text, int length = 300) => text.Length <= length ? text : text[^length..];
}
