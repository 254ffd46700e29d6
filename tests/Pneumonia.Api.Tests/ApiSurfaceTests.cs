using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Pneumonia.Grains.Prediction;
using Pneumonia.Ml.Evaluation;

namespace Pneumonia.Api.Tests;

/// <summary>Every endpoint's shape and every bad input, against the real grains and a tiny real model, with small limits.</summary>
public sealed class ApiSurfaceTests(SmallLimitsApiFactory factory) : IClassFixture<SmallLimitsApiFactory>
{
    private readonly HttpClient _client = factory.CreateAuthorizedClient();

    [Fact]
    public async Task Health_is_ok_with_the_bundled_model_version()
    {
        using var response = await factory.CreateClient().GetAsync("/health");
        var body = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.True(body.GetProperty("timestamp").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.True(body.GetProperty("ready").GetBoolean());
        Assert.Equal(factory.BundledModelVersion, body.GetProperty("model_version").GetString());
        // The bundled card has activation ranges, so the default (int8) is what answers.
        Assert.Equal("int8", body.GetProperty("serving_precision").GetString());
    }

    [Fact]
    public async Task Predict_returns_the_original_fields_plus_version_threshold_and_time()
    {
        using var form = TestFiles.Form("file", [("x.jpeg", TestFiles.Image("test", "PNEUMONIA", 0))]);
        using var response = await factory.CreateClient().PostAsync("/predict", form);
        var body = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var label = body.GetProperty("label").GetString();
        Assert.True(label is "PNEUMONIA" or "NORMAL", label);
        var probability = body.GetProperty("probability").GetDouble();
        var confidence = body.GetProperty("confidence").GetDouble();
        Assert.InRange(probability, 0, 1);
        Assert.Equal(label == "PNEUMONIA" ? probability : 1 - probability, confidence, 9);
        Assert.Equal(label == "PNEUMONIA", probability >= body.GetProperty("threshold").GetDouble());
        Assert.Equal(factory.BundledModelVersion, body.GetProperty("model_version").GetString());
        Assert.True(body.GetProperty("elapsed_ms").GetDouble() > 0);
    }

    [Fact]
    public async Task Predict_with_heatmap_adds_a_png_overlay_as_base64_and_without_it_none()
    {
        var image = TestFiles.Image("test", "PNEUMONIA", 4);
        using var with = TestFiles.Form("file", [("x.jpeg", image)]);
        var body = await (await factory.CreateClient().PostAsync("/predict?heatmap=true", with)).JsonAsync();
        var png = Convert.FromBase64String(body.GetProperty("heatmap").GetString()!);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);

        using var without = TestFiles.Form("file", [("x.jpeg", image)]);
        var plain = await (await factory.CreateClient().PostAsync("/predict", without)).JsonAsync();
        Assert.Equal(JsonValueKind.Null, plain.GetProperty("heatmap").ValueKind);
        Assert.Equal(body.GetProperty("probability").GetDouble(), plain.GetProperty("probability").GetDouble(), 4);
    }

    public static TheoryData<string, string, int, string> BadImages => new()
    {
        { "empty.jpeg", "empty", 400, "Empty" },
        { "truncated.jpeg", "truncated", 400, "Corrupt" },
        { "notes.jpg", "text", 415, "NotAnImage" },
        { "anim.gif", "gif", 415, "UnsupportedFormat" },
        { "bomb.png", "bomb", 422, "TooManyPixels" },
        { "huge.jpeg", "oversize", 413, "TooLarge" },
        { "thumbnail.jpeg", "thumbnail", 422, "TooSmall" },
        { "strip.jpeg", "strip", 422, "ExtremeAspectRatio" },
    };

    [Theory]
    [MemberData(nameof(BadImages))]
    public async Task Predict_refuses_bad_files_with_a_problem_naming_the_reason(string name, string kind, int status, string code)
    {
        using var form = TestFiles.Form("file", [(name, BadFile(kind))]);
        using var response = await factory.CreateClient().PostAsync("/predict", form);
        var body = await AssertProblemAsync(response, status);
        Assert.Equal(code, body.GetProperty("code").GetString());
        Assert.Equal(name, body.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Predict_without_the_file_field_is_a_400_naming_it()
    {
        using var form = TestFiles.Form("wrong", [("x.jpeg", TestFiles.Image("test", "NORMAL", 0))]);
        using var response = await factory.CreateClient().PostAsync("/predict", form);
        var body = await AssertProblemAsync(response, 400);
        Assert.Contains("file", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_batch_gives_one_result_or_one_error_per_file_in_order()
    {
        using var form = TestFiles.Form("files",
        [
            ("a.jpeg", TestFiles.Image("test", "NORMAL", 1)),
            ("bad.jpeg", BadFile("truncated")),
            ("b.jpeg", TestFiles.Image("test", "PNEUMONIA", 1)),
            ("huge.jpeg", BadFile("oversize")),
            ("c.gif", BadFile("gif")),
        ]);
        using var response = await factory.CreateClient().PostAsync("/predict/batch", form);
        var body = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((5, 2, 3), (body.GetProperty("count").GetInt32(), body.GetProperty("succeeded").GetInt32(), body.GetProperty("failed").GetInt32()));
        var results = body.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["a.jpeg", "bad.jpeg", "b.jpeg", "huge.jpeg", "c.gif"], results.Select(r => r.GetProperty("name").GetString()));
        Assert.Equal(["ok", "error", "ok", "error", "error"], results.Select(r => r.GetProperty("status").GetString()));
        Assert.Equal([null, "Corrupt", null, "TooLarge", "UnsupportedFormat"], results.Select(r => r.GetProperty("error_code").GetString()));
        Assert.InRange(results[0].GetProperty("probability").GetDouble(), 0, 1);
    }

    [Fact]
    public async Task Images_too_small_or_too_elongated_for_a_chest_film_are_refused_by_batch_predictions_and_uploads_naming_the_limit()
    {
        using var batchForm = TestFiles.Form("files", [("thumb.jpeg", BadFile("thumbnail")), ("strip.jpeg", BadFile("strip")), ("ok.jpeg", TestFiles.Image("test", "NORMAL", 5))]);
        var batch = await (await factory.CreateClient().PostAsync("/predict/batch", batchForm)).JsonAsync();
        var results = batch.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["TooSmall", "ExtremeAspectRatio", null], results.Select(r => r.GetProperty("error_code").GetString()));
        Assert.Contains("under the minimum of 64 pixels a side", results[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("over the limit of 3:1", results[1].GetProperty("error").GetString(), StringComparison.Ordinal);

        using var uploadForm = TestFiles.Form("files", [("thumb.jpeg", BadFile("thumbnail"))], ("label", "NORMAL"));
        using var upload = await _client.PostAsync("/upload", uploadForm);
        var body = await AssertProblemAsync(upload, 422);
        Assert.Contains("original resolution", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("TooSmall", body.GetProperty("rejected")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task Predictions_say_whether_an_image_looks_like_the_training_xrays_and_uploads_flag_those_that_do_not()
    {
        var page = NonXrayImages.Create("document", 2, 256, 256);
        var noise = NonXrayImages.Create("uniform-noise", 4, 128, 128); // small: this factory allows 50 kB per image
        using var batchForm = TestFiles.Form("files", [("xray.jpeg", TestFiles.Image("test", "NORMAL", 6)), ("page.png", page), ("noise.png", noise)]);
        var batch = await (await factory.CreateClient().PostAsync("/predict/batch", batchForm)).JsonAsync();
        var results = batch.GetProperty("results").EnumerateArray().ToList();
        // The tiny test model's threshold is the 99th percentile of only 16 validation images, so an X-ray's flag may go
        // either way; what matters here is that every answer carries one.
        Assert.Contains(results[0].GetProperty("out_of_distribution").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
        foreach (var stranger in results.Skip(1))
        {
            Assert.True(stranger.GetProperty("out_of_distribution").GetBoolean());
            Assert.True(stranger.GetProperty("ood_score").GetDouble() > stranger.GetProperty("ood_threshold").GetDouble());
        }

        using var single = TestFiles.Form("file", [("page.png", page)]);
        var one = await (await factory.CreateClient().PostAsync("/predict", single)).JsonAsync();
        Assert.True(one.GetProperty("out_of_distribution").GetBoolean());
        Assert.Equal(results[1].GetProperty("ood_score").GetDouble(), one.GetProperty("ood_score").GetDouble(), 3);

        // A flag, not a refusal: the page is stored (unlabelled, so never trained on) and named in the report.
        using var uploadForm = TestFiles.Form("files", [("page.png", page), ("xray.jpeg", TestFiles.Image("test", "NORMAL", 7))]);
        using var upload = await _client.PostAsync("/upload", uploadForm);
        var report = await upload.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        Assert.Equal(2, report.GetProperty("accepted").GetInt32() + report.GetProperty("duplicates").GetInt32());
        var flagged = report.GetProperty("out_of_distribution").EnumerateArray().ToList();
        var flaggedPage = Assert.Single(flagged, f => f.GetProperty("name").GetString() == "page.png");
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(page)), flaggedPage.GetProperty("sha256").GetString());
        Assert.True(flaggedPage.GetProperty("score").GetDouble() > flaggedPage.GetProperty("threshold").GetDouble());

        // A labelled upload: the label screen's predictions carry the check, so each image is classified once.
        var batcher = factory.Services.GetRequiredService<InferenceBatcher>();
        var classifiedBefore = batcher.Images;
        var otherPage = NonXrayImages.Create("document", 3, 256, 256);
        using var labelledForm = TestFiles.Form("files", [("xray.jpeg", TestFiles.Image("test", "NORMAL", 8)), ("other-page.png", otherPage)], ("label", "NORMAL"));
        using var labelledUpload = await _client.PostAsync("/upload", labelledForm);
        var labelledReport = await labelledUpload.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, labelledUpload.StatusCode);
        Assert.Equal(2, labelledReport.GetProperty("label_screen").GetProperty("checked").GetInt32());
        Assert.Single(labelledReport.GetProperty("out_of_distribution").EnumerateArray(), f => f.GetProperty("name").GetString() == "other-page.png");
        Assert.Equal(classifiedBefore + 2, batcher.Images);
    }

    [Fact]
    public async Task Mutating_endpoints_need_the_api_key_401_without_and_403_with_a_wrong_one()
    {
        var anonymous = factory.CreateClient();
        var wrong = factory.CreateClient();
        wrong.DefaultRequestHeaders.Add("X-API-Key", "not-the-key-at-all");
        string[] paths = ["/upload", "/retrain", "/stop-retrain", "/select-model?model_name=x", "/models/rollback", "/admin/import?path=x"];
        foreach (var path in paths)
        {
            using var form = TestFiles.Form("files", [("a.jpeg", TestFiles.Image("train", "NORMAL", 30))], ("label", "NORMAL"));
            using var missing = await anonymous.PostAsync(path, form);
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
            Assert.Contains("X-API-Key", missing.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            await AssertProblemAsync(missing, 401);
            using var forbidden = await wrong.PostAsync(path, TestFiles.Form("files", [("a.jpeg", TestFiles.Image("train", "NORMAL", 30))]));
            await AssertProblemAsync(forbidden, 403);
        }

        var stats = await (await factory.CreateClient().GetAsync("/dataset/stats")).JsonAsync();
        Assert.DoesNotContain(stats.GetProperty("batches").EnumerateArray(), b => b.GetProperty("accepted").GetInt32() > 0 && b.GetProperty("batch_id").GetString()!.Contains("never", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upload_of_loose_images_with_a_label_counts_a_repeated_file_as_a_duplicate_and_rejects_bad_ones()
    {
        var images = TestFiles.Images("train", "NORMAL", 3);
        using var form = TestFiles.Form("files",
            [images[0], images[1], ("again.jpeg", images[0].Bytes), ("notes.jpg", TestFiles.Text), ("empty.jpeg", []), ("bomb.png", BadFile("bomb")), ("huge.jpeg", BadFile("oversize"))],
            ("label", "normal"));
        using var response = await _client.PostAsync("/upload", form);
        var body = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        Assert.Equal(1, body.GetProperty("duplicates").GetInt32());
        Assert.Equal(2, body.GetProperty("accepted_normal").GetInt32());
        Assert.StartsWith("upload-", body.GetProperty("batch_id").GetString(), StringComparison.Ordinal);
        var rejected = body.GetProperty("rejected").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("code").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["notes.jpg"] = "NotAnImage", ["empty.jpeg"] = "Empty", ["bomb.png"] = "TooManyPixels", ["huge.jpeg"] = "TooLarge" }, rejected);
        Assert.All(body.GetProperty("rejected").EnumerateArray(), r => Assert.False(string.IsNullOrWhiteSpace(r.GetProperty("reason").GetString())));

        // Stored by content hash under the grains' image store, never under the client's name.
        var stored = Directory.GetFiles(Path.Combine(factory.DataDirectory, "images"), "*", SearchOption.AllDirectories);
        Assert.DoesNotContain(stored, path => path.Contains(".jpeg", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Upload_of_unlabelled_images_keeps_them_unlabelled_and_an_unknown_label_is_a_400()
    {
        using var form = TestFiles.Form("files", [TestFiles.Images("train", "PNEUMONIA", 40)[39]]);
        var body = await (await _client.PostAsync("/upload", form)).JsonAsync();
        Assert.Equal(1, body.GetProperty("accepted_unlabelled").GetInt32());
        Assert.Equal("unlabelled", body.GetProperty("files")[0].GetProperty("label").GetString());

        using var badLabel = TestFiles.Form("files", [TestFiles.Images("train", "PNEUMONIA", 41)[40]], ("label", "COVID"));
        var problem = await AssertProblemAsync(await _client.PostAsync("/upload", badLabel), 400);
        Assert.Contains("label", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_of_a_zip_takes_labels_from_folders_at_any_depth_and_rejects_unsafe_entries()
    {
        var normal = TestFiles.Images("train", "NORMAL", 8);
        var pneumonia = TestFiles.Images("train", "PNEUMONIA", 8);
        var zip = TestFiles.Zip(
            ("data/chest/Normal/a.jpeg", normal[5].Bytes, false),
            ("PNEUMONIA/deep/er/b.jpeg", pneumonia[5].Bytes, false),
            ("NORMAL/pneumonia/c.jpeg", pneumonia[6].Bytes, false),
            ("loose.jpeg", normal[6].Bytes, false),
            ("../x.jpeg", normal[7].Bytes, false),
            ("/etc/abs.jpeg", normal[7].Bytes, false),
            ("NORMAL/link.jpeg", normal[7].Bytes, true),
            ("NORMAL/inner.zip", TestFiles.Zip(("NORMAL/z.jpeg", normal[7].Bytes)), false));
        using var form = TestFiles.Form("files", [("upload.zip", zip)]);
        using var response = await _client.PostAsync("/upload", form);
        var body = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, body.GetProperty("accepted").GetInt32());
        Assert.Equal((1, 2, 1), (body.GetProperty("accepted_normal").GetInt32(), body.GetProperty("accepted_pneumonia").GetInt32(), body.GetProperty("accepted_unlabelled").GetInt32()));
        var rejected = body.GetProperty("rejected").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("code").GetString());
        Assert.Equal(new Dictionary<string, string?>
        {
            ["../x.jpeg"] = "UnsafeName",
            ["/etc/abs.jpeg"] = "UnsafeName",
            ["NORMAL/link.jpeg"] = "NotRegularFile",
            ["NORMAL/inner.zip"] = "NestedArchive",
        }, rejected);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(factory.TempPath)!, "x.jpeg")));
    }

    [Fact]
    public async Task Upload_of_a_zip_over_the_entry_cap_is_refused_unread_with_a_problem_naming_the_limit()
    {
        var images = TestFiles.Images("train", "NORMAL", 60).Skip(60 - SmallLimitsApiFactory.MaxZipEntries - 1).ToList();
        var zip = TestFiles.Zip([.. images.Select(i => ("NORMAL/" + i.Name, i.Bytes))]);
        using var response = await _client.PostAsync("/upload", TestFiles.Form("files", [("many.zip", zip)]));
        var body = await AssertProblemAsync(response, 413);
        Assert.Contains($"over the limit of {SmallLimitsApiFactory.MaxZipEntries}", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("TooManyEntries", body.GetProperty("rejected")[0].GetProperty("code").GetString());
        Assert.Equal(0, body.GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task Upload_where_every_file_is_bad_is_a_4xx_problem_listing_each_and_over_size_requests_are_413()
    {
        using var form = TestFiles.Form("files", [("a.jpeg", BadFile("truncated")), ("b.gif", BadFile("gif"))]);
        var body = await AssertProblemAsync(await _client.PostAsync("/upload", form), 400);
        Assert.Equal(2, body.GetProperty("rejected").GetArrayLength());
        Assert.Contains("a.jpeg", body.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var tooLarge = TestFiles.Form("files", [("big.bin", new byte[2_100_000])]);
        var problem = await AssertProblemAsync(await _client.PostAsync("/upload", tooLarge), 413);
        Assert.Contains("2,000,000", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var none = new MultipartFormDataContent { { new StringContent("NORMAL"), "label" } };
        await AssertProblemAsync(await _client.PostAsync("/upload", none), 400);
    }

    [Fact]
    public async Task Select_model_of_an_unknown_version_is_404_and_selecting_production_again_is_ok()
    {
        var problem = await AssertProblemAsync(await _client.PostAsync("/select-model?model_name=no-such-model", null), 404);
        Assert.Contains("no-such-model", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await AssertProblemAsync(await _client.PostAsync("/select-model?model_name=../../etc", null), 404);
        await AssertProblemAsync(await _client.PostAsync("/select-model", null), 400);

        using var again = await _client.PostAsync($"/select-model?model_name={factory.BundledModelVersion}", null);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Theory]
    [InlineData("epochs=0", "epochs")]
    [InlineData("epochs=1000", "epochs")]
    [InlineData("batch_size=0", "batch_size")]
    [InlineData("batch_size=100000", "batch_size")]
    [InlineData("epochs=abc", "epochs")]
    [InlineData("fine_tune=maybe", "fine_tune")]
    public async Task Retrain_with_a_bad_parameter_is_a_400_naming_it(string query, string parameter)
    {
        var body = await AssertProblemAsync(await _client.PostAsync($"/retrain?{query}", null), 400);
        Assert.Contains(parameter, body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_are_the_production_cards_test_metrics()
    {
        using var response = await factory.CreateClient().GetAsync("/metrics");
        var body = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var card = await (await factory.CreateClient().GetAsync($"/models/{factory.BundledModelVersion}")).JsonAsync();
        var test = card.GetProperty("test");
        Assert.Equal("test", body.GetProperty("split").GetString());
        Assert.Equal(test.GetProperty("accuracy").GetDouble(), body.GetProperty("accuracy").GetDouble());
        Assert.Equal(test.GetProperty("precision").GetDouble(), body.GetProperty("precision").GetDouble());
        Assert.Equal(test.GetProperty("recall").GetDouble(), body.GetProperty("recall").GetDouble());
        Assert.Equal(test.GetProperty("roc_auc").GetDouble(), body.GetProperty("auc").GetDouble());
        Assert.Equal(test.GetProperty("log_loss").GetDouble(), body.GetProperty("loss").GetDouble());
        foreach (var field in new[] { "specificity", "f1", "confusion_matrix", "roc_curve", "calibration" })
        {
            Assert.True(body.TryGetProperty(field, out _), field);
        }

        Assert.Equal(16, body.GetProperty("count").GetInt32());
        Assert.Equal(15, body.GetProperty("calibration").GetArrayLength());
    }

    [Fact]
    public async Task Models_list_the_bundled_version_as_production_with_its_metrics()
    {
        var body = await (await factory.CreateClient().GetAsync("/models")).JsonAsync();
        var bundled = body.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("version").GetString() == factory.BundledModelVersion);
        Assert.True(bundled.GetProperty("is_production").GetBoolean());
        Assert.Equal(factory.BundledModelVersion, body.GetProperty("production").GetString());
        Assert.InRange(bundled.GetProperty("validation").GetProperty("auc").GetDouble(), 0, 1);
        await AssertProblemAsync(await factory.CreateClient().GetAsync("/models/unknown-version"), 404);
        Assert.Equal(HttpStatusCode.OK, (await factory.CreateClient().GetAsync("/models/history")).StatusCode);
    }

    [Fact]
    public async Task Jobs_endpoints_answer_and_an_unknown_job_is_404()
    {
        var progress = await (await factory.CreateClient().GetAsync("/retrain-progress")).JsonAsync();
        Assert.False(progress.GetProperty("running").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await factory.CreateClient().GetAsync("/jobs")).StatusCode);
        await AssertProblemAsync(await factory.CreateClient().GetAsync("/jobs/job-unknown"), 404);
        await AssertProblemAsync(await factory.CreateClient().GetAsync("/jobs/has%20space"), 404);
        await AssertProblemAsync(await _client.PostAsync("/stop-retrain", null), 409);
    }

    [Fact]
    public async Task Dataset_statistics_and_samples_describe_the_uploaded_images()
    {
        using var form = TestFiles.Form("files", [TestFiles.Images("val", "PNEUMONIA", 2)[1]], ("label", "PNEUMONIA"));
        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsync("/upload", form)).StatusCode);

        var stats = await (await factory.CreateClient().GetAsync("/dataset/stats")).JsonAsync();
        Assert.True(stats.GetProperty("total_images").GetInt32() >= 1);
        Assert.Contains(stats.GetProperty("counts").EnumerateArray(), c => c.GetProperty("label").GetString() == "PNEUMONIA" && c.GetProperty("split").GetString() == "train");
        Assert.True(stats.GetProperty("sizes").GetProperty("width").GetProperty("max").GetDouble() > 0);

        // Thumbnails are patients' X-rays: they need the key when one is set (tests/Pneumonia.Reliability.Tests covers the refusal).
        var samples = await (await _client.GetAsync("/dataset/samples?per_label=2")).JsonAsync();
        var sample = samples.GetProperty("samples")[0];
        Assert.Equal(32, sample.GetProperty("histogram").GetArrayLength());
        var png = Convert.FromBase64String(sample.GetProperty("thumbnail_png").GetString()!);
        Assert.Equal(0x89, png[0]);
        Assert.InRange(samples.GetProperty("histograms")[0].GetProperty("histogram").EnumerateArray().Sum(v => v.GetDouble()), 0.999, 1.001);
        await AssertProblemAsync(await _client.GetAsync("/dataset/samples?per_label=1000"), 400);
    }

    [Fact]
    public async Task Dataset_images_come_a_page_at_a_time_each_once_and_the_statistics_match_them()
    {
        using var form = TestFiles.Form("files", [.. TestFiles.Images("test", "NORMAL", 24).Skip(20)], ("label", "NORMAL"));
        Assert.Equal(HttpStatusCode.OK, (await _client.PostAsync("/upload", form)).StatusCode);

        var images = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await (await _client.GetAsync($"/dataset/images?limit={SmallLimitsApiFactory.MaxPageSize}" + (cursor is null ? "" : $"&cursor={cursor}"))).JsonAsync();
            Assert.InRange(page.GetProperty("images").GetArrayLength(), 0, SmallLimitsApiFactory.MaxPageSize);
            images.AddRange(page.GetProperty("images").EnumerateArray());
            cursor = page.GetProperty("next_cursor").GetString();
        }
        while (cursor is not null);

        // Exactly the labelled images the statistics count, each once, described by the same sizes.
        var stats = await (await factory.CreateClient().GetAsync("/dataset/stats")).JsonAsync();
        var labelled = stats.GetProperty("counts").EnumerateArray().Where(c => c.GetProperty("label").GetString() != "unlabelled").Sum(c => c.GetProperty("images").GetInt32());
        Assert.True(images.Count > SmallLimitsApiFactory.MaxPageSize, $"{images.Count} images");
        Assert.Equal(labelled, images.Count);
        Assert.Equal(images.Count, images.Select(i => i.GetProperty("sha256").GetString()).Distinct().Count());
        var sizes = stats.GetProperty("sizes");
        Assert.Equal(images.Count, sizes.GetProperty("images").GetInt32());
        var widths = images.Select(i => i.GetProperty("width").GetDouble()).Order().ToList();
        Assert.Equal((widths[0], widths[^1]), (sizes.GetProperty("width").GetProperty("min").GetDouble(), sizes.GetProperty("width").GetProperty("max").GetDouble()));
        Assert.Equal(Math.Round(images.Average(i => i.GetProperty("size_bytes").GetDouble()), 2), sizes.GetProperty("bytes").GetProperty("mean").GetDouble());

        var tooMany = await AssertProblemAsync(await _client.GetAsync($"/dataset/images?limit={SmallLimitsApiFactory.MaxPageSize + 1}"), 400);
        Assert.Contains($"between 1 and {SmallLimitsApiFactory.MaxPageSize}", tooMany.GetProperty("errors").GetProperty("limit")[0].GetString(), StringComparison.Ordinal);
        await AssertProblemAsync(await _client.GetAsync("/dataset/images?limit=0"), 400);
        await AssertProblemAsync(await _client.GetAsync("/dataset/images?limit=many"), 400);
        var badCursor = await AssertProblemAsync(await _client.GetAsync("/dataset/images?cursor=page-2"), 400);
        Assert.Contains("next_cursor", badCursor.GetProperty("errors").GetProperty("cursor")[0].GetString(), StringComparison.Ordinal);
        await AssertProblemAsync(await factory.CreateClient().GetAsync("/dataset/images"), 401);
    }

    [Fact]
    public async Task Admin_import_reads_a_folder_inside_the_import_directory_only()
    {
        foreach (var (split, label) in new[] { ("train", "NORMAL"), ("test", "PNEUMONIA") })
        {
            var folder = Directory.CreateDirectory(Path.Combine(factory.ImportDirectory, "set", split, label)).FullName;
            foreach (var (name, bytes) in TestFiles.Images(split, label, 12).Skip(10))
            {
                await File.WriteAllBytesAsync(Path.Combine(folder, name), bytes);
            }
        }

        using var response = await _client.PostAsync("/admin/import?path=set&source=kermany-sample", null);
        var body = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, body.GetProperty("accepted").GetInt32());
        var stats = await (await factory.CreateClient().GetAsync("/dataset/stats")).JsonAsync();
        Assert.Contains(stats.GetProperty("counts").EnumerateArray(), c => c.GetProperty("split").GetString() == "test");

        var escape = await AssertProblemAsync(await _client.PostAsync("/admin/import?path=../..", null), 400);
        Assert.DoesNotContain(factory.TempPath, escape.GetRawText(), StringComparison.Ordinal);
        await AssertProblemAsync(await _client.PostAsync("/admin/import?path=/etc", null), 400);
        // Found by the reliability fuzz: a NUL in the path was a 500 (Path.GetFullPath throws on it).
        await AssertProblemAsync(await _client.PostAsync("/admin/import?path=%00&path=0", null), 400);
        await AssertProblemAsync(await _client.PostAsync("/admin/import?path=missing", null), 404);
    }

    [Fact]
    public async Task OpenApi_document_docs_ui_prometheus_and_dashboard_are_served()
    {
        var client = factory.CreateClient();
        var openApi = await (await client.GetAsync("/openapi/v1.json")).JsonAsync();
        var paths = openApi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        foreach (var path in new[] { "/health", "/predict", "/predict/batch", "/upload", "/retrain", "/retrain-progress", "/stop-retrain", "/jobs", "/jobs/{id}", "/metrics", "/models", "/select-model", "/dataset/stats", "/admin/import" })
        {
            Assert.Contains(path, paths);
        }

        using var docs = await client.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("text/html", docs.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);

        await client.GetAsync("/health");
        var metrics = await client.GetStringAsync("/metrics/prometheus");
        Assert.Contains("http_server_request_duration_seconds_count{", metrics, StringComparison.Ordinal);
        Assert.Contains($"pneumonia_model_info{{otel_scope_name=\"Pneumonia.Api\",version=\"{factory.BundledModelVersion}\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("pneumonia_training_job_state{otel_scope_name=\"Pneumonia.Api\",state=\"idle\"} 1", metrics, StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/dashboard/")).StatusCode);
    }

    [Fact]
    public async Task Errors_are_problem_details_without_stack_traces_or_server_paths()
    {
        var responses = new[]
        {
            await factory.CreateClient().GetAsync("/no-such-route"),
            await _client.PostAsync("/retrain?epochs=abc", null),
            await _client.PostAsync("/admin/import?path=../../../../etc/passwd", null),
            await factory.CreateClient().PostAsync("/predict", TestFiles.Form("file", [("x.jpeg", BadFile("truncated"))])),
        };
        foreach (var response in responses)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var text = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain(" at ", text, StringComparison.Ordinal);
            Assert.DoesNotContain(factory.TempPath, text, StringComparison.Ordinal);
            Assert.DoesNotContain("/work/", text, StringComparison.Ordinal);
        }
    }

    private static byte[] BadFile(string kind) => kind switch
    {
        "empty" => [],
        "truncated" => TestFiles.Truncated(TestFiles.Image("test", "NORMAL", 2)),
        "text" => TestFiles.Text,
        "gif" => TestFiles.Gif,
        "bomb" => CraftedImages.PngClaiming(30_000, 30_000),
        "oversize" => [.. TestFiles.Image("test", "NORMAL", 3), .. new byte[SmallLimitsApiFactory.MaxImageBytes]],
        "thumbnail" => TestFiles.Resized(TestFiles.Image("test", "NORMAL", 4), 48, 40),
        "strip" => TestFiles.Resized(TestFiles.Image("test", "NORMAL", 4), 700, 200),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, int status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(status, body.GetProperty("status").GetInt32());
        return body;
    }
}
