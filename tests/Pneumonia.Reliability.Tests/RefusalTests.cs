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

    [Fact]
    public async Task Silently_ignored_input_is_refused_naming_the_problem()
    {
        using var client = factory.CreateAuthorizedClient();
        var cases = new List<(string Case, HttpResponseMessage Response, string Field, string Says)>();
        using (var two = Files.Form("file", [("a.jpeg", Files.OneXray(0)), ("b.jpeg", Files.OneXray(1))]))
        {
            cases.Add(("two 'file' parts on /predict", await client.PostAsync("/predict", two), "file", "more than one 'file'"));
        }

        using (var unknown = Files.Form("images", [("a.jpeg", Files.OneXray(23))], "NORMAL"))
        {
            cases.Add(("files in a field named 'images' on /upload", await client.PostAsync("/upload", unknown), "images", "'images'"));
        }

        using (var query = Files.Form("files", [("a.jpeg", Files.OneXray(24))]))
        {
            cases.Add(("?label= in the query string of /upload", await client.PostAsync("/upload?label=NORMAL", query), "label", "not a query parameter"));
        }

        cases.Add(("an empty model_name", await client.PostAsync("/select-model?model_name=", null), "model_name", "'model_name' is empty"));
        foreach (var (name, response, field, says) in cases)
        {
            var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
            Assert.Equal(field, problem.GetProperty("field").GetString());
            Assert.Contains(says, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            response.Dispose();
        }

        // Nothing of the refused uploads was stored.
        Assert.DoesNotContain(Files.Sha256(Files.OneXray(23)), Files.Store(factory.ImagesDirectory).Images);
        Assert.DoesNotContain(Files.Sha256(Files.OneXray(24)), Files.Store(factory.ImagesDirectory).Images);
        ReliabilityLog.Record(Areas.Refusals, "input the API used to ignore: " + string.Join("; ", cases.Select(c => c.Case)), cases.Count,
            "400 ProblemDetails naming the field and what to send instead; nothing stored");
    }

    [Fact]
    public async Task Every_refusal_is_ProblemDetails_naming_the_field_the_limit_and_what_to_send()
    {
        using var client = factory.CreateAuthorizedClient();
        var maxImage = 20L << 20;
        var results = new List<string>();

        async Task CheckAsync(string name, HttpResponseMessage response, HttpStatusCode status, params string[] mentions)
        {
            var problem = await ProblemAsync(response, status);
            var detail = problem.GetProperty("detail").GetString()!;
            foreach (var mention in mentions)
            {
                Assert.Contains(mention, detail, StringComparison.Ordinal);
            }

            results.Add($"{name}: {(int)status}");
            response.Dispose();
        }

        using (var json = new StringContent("{\"file\":\"x\"}", Encoding.UTF8, "application/json"))
        {
            await CheckAsync("a JSON body on /predict", await client.PostAsync("/predict", json), HttpStatusCode.UnsupportedMediaType, "multipart/form-data", "'file'");
        }

        await CheckAsync("epochs=abc", await client.PostAsync("/retrain?epochs=abc", null), HttpStatusCode.BadRequest, "'epochs'", "from 1 to 50", "'abc'");
        await CheckAsync("per_label=many", await client.GetAsync("/dataset/samples?per_label=many"), HttpStatusCode.BadRequest, "from 1 to 16");
        using (var wrongField = Files.Form("image", [("a.jpeg", Files.OneXray(0))]))
        {
            await CheckAsync("the image in a field named 'image' on /predict", await client.PostAsync("/predict", wrongField), HttpStatusCode.BadRequest, "'image'", "'file'");
        }

        {
            using var response = await SendDeclaringAsync(client, maxImage + 65_536);
            var problem = await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
            Assert.Equal(maxImage + 65_536, problem.GetProperty("limit_bytes").GetInt64());
            Assert.Contains($"{maxImage + 65_536:N0}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            results.Add("a declared body over /predict's limit: 413");
        }

        await CheckAsync("a bad boundary", await client.PostAsync("/predict", Raw("multipart/form-data; boundary=" + new string('b', 100), "x")), HttpStatusCode.BadRequest, "boundary");
        await CheckAsync("a quote and CR/LF in a file name", await client.PostAsync("/predict", Raw("multipart/form-data; boundary=b",
            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"b\r\n.jpeg\"\r\n\r\nxx\r\n--b--\r\n")), HttpStatusCode.BadRequest, "file name");
        var parts = new StringBuilder();
        for (var i = 0; i < 1_100; i++)
        {
            parts.Append("--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.jpeg\"\r\n\r\nx\r\n");
        }

        await CheckAsync("1,100 parts on /upload", await client.PostAsync("/upload", Raw("multipart/form-data; boundary=b", parts + "--b--\r\n")), HttpStatusCode.BadRequest, "1,024");
        ReliabilityLog.Record(Areas.Refusals, "refusals outside the handlers: wrong media type, binding failures, wrong field, declared length over the limit, bad boundary, bad file name, too many parts",
            results.Count, "every one application/problem+json with status, title, detail and trace_id, naming the field or limit and what to send: " + string.Join("; ", results));
    }

    private static async Task<HttpResponseMessage> SendDeclaringAsync(HttpClient client, long limit)
    {
        var content = new ByteArrayContent(new byte[16]);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=x");
        content.Headers.ContentLength = limit * 3;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict") { Content = content };
        try
        {
            return await client.SendAsync(request);
        }
        catch (HttpRequestException)
        {
            throw new InvalidOperationException("The server read the body instead of refusing its declared length.");
        }
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
