using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Pneumonia.Reliability.Tests.Infrastructure;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pneumonia.Reliability.Tests;

/// <summary>
/// Hardening, round two (issue 15), in-process: trailing payloads, leaks, silently ignored input and the one
/// ProblemDetails shape of every refusal. Each case failed before its fix.
/// </summary>
public sealed class RefusalTests(ReliabilityApiFactory factory) : IClassFixture<ReliabilityApiFactory>
{
    private const string Bidi = "\u202E";

    [Theory]
    [InlineData("jpeg")]
    [InlineData("png")]
    public async Task An_image_with_a_payload_after_its_end_is_refused_with_422_and_nothing_is_stored(string format)
    {
        var image = format == "png" ? Png(7) : Files.OneXray(20);
        byte[] smuggled = [.. image, .. new byte[3 << 20]];
        var before = Files.Snapshot(factory.ImagesDirectory);
        using var client = factory.CreateAuthorizedClient();
        using var form = Files.Form("files", [($"smuggler.{format}", smuggled)], "NORMAL");
        using var response = await client.PostAsync("/upload", form);
        var body = await ProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        var rejected = Assert.Single(body.GetProperty("rejected").EnumerateArray());
        Assert.Equal("TrailingData", rejected.GetProperty("code").GetString());
        Assert.Contains($"{smuggled.Length - image.Length:N0} bytes after its end", rejected.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, Files.Snapshot(factory.ImagesDirectory));

        // The same image alone is taken.
        using var clean = Files.Form("files", [($"clean.{format}", image)], "NORMAL");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/upload", clean)).StatusCode);
        ReliabilityLog.Record(Areas.HostileUploads, $"a {format.ToUpperInvariant()} followed by 3 MB of zeros (a payload riding behind an image)", 2,
            "422 TrailingData naming where the image ends and how many bytes follow; nothing stored; the image alone is accepted");
    }

    [Fact]
    public async Task Every_image_of_the_data_set_ends_where_its_file_ends()
    {
        // The trailing-data refusal must not refuse real X-rays: their structure ends at their last byte.
        var paths = TestData.Images("test", "NORMAL", 234).Concat(TestData.Images("test", "PNEUMONIA", 390)).ToList();
        foreach (var path in paths)
        {
            var bytes = await File.ReadAllBytesAsync(path);
            Assert.Equal(bytes.Length, Pneumonia.Ml.Images.ImageEnd.Find(bytes));
        }

        ReliabilityLog.Record(Areas.HostileUploads, "the structure walk that finds an image's end, on every test-split X-ray", paths.Count,
            "each JPEG ends at its last byte: none of the real images would be refused as carrying trailing data");
    }

    [Fact]
    public async Task Sample_thumbnails_need_the_key_when_one_is_set()
    {
        using var anonymous = factory.CreateClient();
        using var refused = await anonymous.GetAsync("/dataset/samples");
        await ProblemAsync(refused, HttpStatusCode.Unauthorized);
        using var client = factory.CreateAuthorizedClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/dataset/samples")).StatusCode);
        ReliabilityLog.Record(Areas.Access, "GET /dataset/samples (base64 thumbnails of patients' X-rays) without the key, on a server with a key", 2,
            "401 ProblemDetails without the key, 200 with it");
    }

    [Fact]
    public async Task A_duplicate_names_no_other_upload()
    {
        using var client = factory.CreateAuthorizedClient();
        var image = Files.OneXray(21);
        using (var first = Files.Form("files", [("alice-private-name.jpeg", image)], "NORMAL"))
        {
            using var response = await client.PostAsync("/upload", first);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var firstBatch = (await response.JsonAsync()).GetProperty("batch_id").GetString()!;
            using var second = Files.Form("files", [("bob.jpeg", image)], "NORMAL");
            using var duplicate = await client.PostAsync("/upload", second);
            var text = await duplicate.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, duplicate.StatusCode);
            Assert.Equal("duplicate", JsonDocument.Parse(text).RootElement.GetProperty("files")[0].GetProperty("status").GetString());
            Assert.DoesNotContain("alice-private-name", text, StringComparison.Ordinal);
            Assert.DoesNotContain(firstBatch, text, StringComparison.Ordinal);
        }

        ReliabilityLog.Record(Areas.Access, "the same image uploaded by a second client", 2,
            "reported as a duplicate without the first uploader's file name or batch id");
    }

    [Fact]
    public async Task Bidi_and_control_characters_are_never_echoed()
    {
        using var client = factory.CreateAuthorizedClient();
        var names = $"x{Bidi}gpj.exe\u200B\u2066.jpeg";
        using var form = Files.Form("files", [(names, Files.OneXray(22)), ($"note{Bidi}.jpeg", "not an image"u8.ToArray())], "NORMAL");
        var upload = await (await client.PostAsync("/upload", form)).Content.ReadAsStringAsync();
        using var predictForm = Files.Form("file", [($"p{Bidi}.jpeg", "not an image"u8.ToArray())]);
        var predict = await (await client.PostAsync("/predict", predictForm)).Content.ReadAsStringAsync();
        var model = await (await client.PostAsync($"/select-model?model_name=v1{Bidi}", null)).Content.ReadAsStringAsync();
        var reason = await (await client.PostAsync($"/models/rollback?reason=r{Bidi}", null)).Content.ReadAsStringAsync();
        foreach (var answer in new[] { upload, predict, model, reason })
        {
            var decoded = JsonDocument.Parse(answer).RootElement.ToString();
            Assert.DoesNotContain(decoded, c => char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.Control);
        }

        Assert.Contains("xgpj.exe.jpeg", upload, StringComparison.Ordinal);
        ReliabilityLog.Record(Areas.Access, "file and model names with U+202E (right-to-left override), U+2066 and a zero-width space", 4,
            "upload, predict, select-model and rollback answers carry the names without any control or formatting character");
    }

    public static TheoryData<string> IgnoredInputs => [.. IgnoredInputCases.Keys];

    public static TheoryData<string> RefusalCases => [.. Refusals.Keys];

    private static Dictionary<string, (Func<HttpClient, Task<HttpResponseMessage>> Send, string Field, string Says, int Image)> IgnoredInputCases => new()
    {
        ["two 'file' parts on /predict"] = (
            client => client.PostAsync("/predict", Files.Form("file", [("a.jpeg", Files.OneXray(0)), ("b.jpeg", Files.OneXray(1))])), "file", "more than one 'file'", 0),
        ["files in a field named 'images' on /upload"] = (
            client => client.PostAsync("/upload", Files.Form("images", [("a.jpeg", Files.OneXray(23))], "NORMAL")), "images", "'images'", 23),
        ["?label= in the query string of /upload"] = (
            client => client.PostAsync("/upload?label=NORMAL", Files.Form("files", [("a.jpeg", Files.OneXray(24))])), "label", "not a query parameter", 24),
        ["an empty model_name on /select-model"] = (client => client.PostAsync("/select-model?model_name=", null), "model_name", "'model_name' is empty", 0),
    };

    private static Dictionary<string, (Func<HttpClient, Task<HttpResponseMessage>> Send, HttpStatusCode Status, string[] Mentions)> Refusals => new()
    {
        ["a JSON body on /predict"] = (
            client => client.PostAsync("/predict", new StringContent("{\"file\":\"x\"}", Encoding.UTF8, "application/json")),
            HttpStatusCode.UnsupportedMediaType, ["multipart/form-data", "'file'"]),
        ["epochs=abc on /retrain"] = (client => client.PostAsync("/retrain?epochs=abc", null), HttpStatusCode.BadRequest, ["'epochs'", "from 1 to 50", "'abc'"]),
        ["per_label=many on /dataset/samples"] = (client => client.GetAsync("/dataset/samples?per_label=many"), HttpStatusCode.BadRequest, ["'per_label'", "from 1 to 16"]),
        ["the image in a field named 'image' on /predict"] = (
            client => client.PostAsync("/predict", Files.Form("image", [("a.jpeg", Files.OneXray(0))])), HttpStatusCode.BadRequest, ["'image'", "'file'"]),
        ["a declared body three times /predict's limit"] = (
            client => SendDeclaringAsync(client, MaxPredictBody), HttpStatusCode.RequestEntityTooLarge, [$"{MaxPredictBody:N0}"]),
        ["40 KB of request headers"] = (client =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/health");
            request.Headers.Add("X-Padding", new string('p', 40_000));
            return client.SendAsync(request);
        }, HttpStatusCode.RequestHeaderFieldsTooLarge, ["32,768"]),
        ["a 10 KB query string"] = (client => client.GetAsync("/jobs?x=" + new string('q', 10_000)), HttpStatusCode.RequestUriTooLong, ["8,192"]),
        ["a multipart boundary of 100 characters"] = (
            client => client.PostAsync("/predict", Raw("multipart/form-data; boundary=" + new string('b', 100), "x")), HttpStatusCode.BadRequest, ["boundary"]),
        ["a quote and CR/LF in a file name"] = (client => client.PostAsync("/predict", Raw("multipart/form-data; boundary=b",
            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"b\r\n.jpeg\"\r\n\r\nxx\r\n--b--\r\n")), HttpStatusCode.BadRequest, ["file name"]),
        ["1,100 parts on /upload"] = (client => client.PostAsync("/upload", Raw("multipart/form-data; boundary=b",
            string.Concat(Enumerable.Repeat("--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.jpeg\"\r\n\r\nx\r\n", 1_100)) + "--b--\r\n")),
            HttpStatusCode.BadRequest, ["1,024"]),
    };

    private static long MaxPredictBody => (20L << 20) + 65_536;

    [Theory]
    [MemberData(nameof(IgnoredInputs))]
    public async Task Silently_ignored_input_is_refused_naming_the_problem(string name)
    {
        var (send, field, says, image) = IgnoredInputCases[name];
        using var client = factory.CreateAuthorizedClient();
        using var response = await send(client);
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Contains(says, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        if (image > 0)
        {
            Assert.DoesNotContain(Files.Sha256(Files.OneXray(image)), Files.Store(factory.ImagesDirectory).Images);
        }

        ReliabilityLog.Record(Areas.Refusals, $"input the API used to ignore: {name}", 1,
            $"400 ProblemDetails with field '{field}' and a detail saying what to send instead; nothing stored");
    }

    [Theory]
    [MemberData(nameof(RefusalCases))]
    public async Task Every_refusal_is_ProblemDetails_naming_the_field_the_limit_and_what_to_send(string name)
    {
        var (send, status, mentions) = Refusals[name];
        using var client = factory.CreateAuthorizedClient();
        using var response = await send(client);
        var problem = await ProblemAsync(response, status);
        foreach (var mention in mentions)
        {
            Assert.Contains(mention, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        ReliabilityLog.Record(Areas.Refusals, $"refused before or around the handler: {name}", 1,
            $"{(int)status} application/problem+json (status, title, detail, trace_id) whose detail names {string.Join(", ", mentions)}");
    }

    // Declares three times the limit and sends 16 bytes: only a refusal on the declared length answers at once.
    private static async Task<HttpResponseMessage> SendDeclaringAsync(HttpClient client, long limit)
    {
        var content = new ByteArrayContent(new byte[16]);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=x");
        content.Headers.ContentLength = limit * 3;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = content };
        return await client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));
    }

    internal static StringContent Raw(string contentType, string body)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.Remove("Content-Type");
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }

    internal static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode} instead of {(int)status}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), text);
        Assert.True(problem.TryGetProperty("trace_id", out _), text);
        return problem;
    }

    private static byte[] Png(int seed)
    {
        using var image = new Image<L8>(64, 64);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = new L8((byte)((x * 7) + (y * 13) + seed));
                }
            }
        });
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}
