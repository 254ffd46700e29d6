using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;

namespace Pneumonia.Api.Tests;

/// <summary>What operators rely on: the probes, the Prometheus endpoint and the trace id in every error (Kestrel's meter is absent: TestServer).</summary>
public sealed class OperabilityTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Live_and_ready_probes_name_their_checks_and_health_keeps_its_shape()
    {
        using var client = factory.CreateClient();

        var live = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var liveBody = await live.JsonAsync();
        Assert.Equal("healthy", liveBody.GetProperty("status").GetString());
        Assert.Equal(["process"], liveBody.GetProperty("checks").EnumerateObject().Select(c => c.Name));

        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var checks = (await ready.JsonAsync()).GetProperty("checks");
        Assert.Equal(["cluster", "model", "storage"], checks.EnumerateObject().Select(c => c.Name).Order());
        Assert.All(checks.EnumerateObject(), check => Assert.Equal("healthy", check.Value.GetProperty("status").GetString()));
        Assert.Contains(factory.BundledModelVersion, checks.GetProperty("model").GetProperty("description").GetString(), StringComparison.Ordinal);

        // The original clients' endpoint is unchanged.
        var health = await (await client.GetAsync("/health")).JsonAsync();
        Assert.Equal(("ok", true, factory.BundledModelVersion),
            (health.GetProperty("status").GetString(), health.GetProperty("ready").GetBoolean(), health.GetProperty("model_version").GetString()));
    }

    [Fact]
    public async Task Prometheus_serves_aspnetcore_runtime_orleans_and_our_own_meters()
    {
        using var client = factory.CreateClient();
        using var form = TestFiles.Form("file", TestFiles.Images("test", "NORMAL", 1));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/predict", form)).StatusCode);

        var metrics = await client.GetStringAsync("/metrics/prometheus");

        foreach (var name in new[]
        {
            "http_server_request_duration_seconds_bucket{", "dotnet_gc_collections_total{",
            "orleans_catalog_activations{", "orleans_consistent_ring_size{",
            "pneumonia_decode_duration_seconds_count{", "pneumonia_inference_duration_seconds_count{",
            "pneumonia_inference_batch_size_bucket{", "pneumonia_inference_queue_length{", "pneumonia_prediction_seconds_count{",
            "pneumonia_model_ready{otel_scope_name=\"Pneumonia.Api\"} 1",
        })
        {
            Assert.Contains(name, metrics, StringComparison.Ordinal);
        }

        Assert.Contains($"pneumonia_predictions_total{{otel_scope_name=\"Pneumonia.Api\",model_version=\"{factory.BundledModelVersion}\",outcome=\"ok\"}}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_metric_the_shipped_alert_rules_use_is_exported()
    {
        using var client = factory.CreateClient();
        using var form = TestFiles.Form("file", TestFiles.Images("test", "PNEUMONIA", 1));
        await client.PostAsync("/predict", form);
        var metrics = await client.GetStringAsync("/metrics/prometheus");
        var rules = await File.ReadAllTextAsync(Path.Combine(TestData.RepositoryRoot, "docs", "monitoring", "alerts.yml"));

        var used = Regex.Matches(rules, @"\b(?:pneumonia|http_server|orleans)_[a-z_]+").Select(m => m.Value).Distinct().ToList();
        Assert.NotEmpty(used);
        // pneumonia_model_loaded comes from predictor silos: the co-hosted silo here is one.
        Assert.All(used, name => Assert.Contains($"\n{name}{{", metrics, StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_docs_page_asks_nothing_of_the_internet()
    {
        using var client = factory.CreateClient();
        var html = await client.GetStringAsync("/docs/");

        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Contains("\"withDefaultFonts\":false", html, StringComparison.Ordinal);
        Assert.Contains("\"telemetry\":false", html, StringComparison.Ordinal);
        Assert.Contains("<script src=\"scalar.js\"></script>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_problem_details_answer_carries_the_w3c_trace_id_of_the_request()
    {
        using var client = factory.CreateClient();
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/predict/batch") { Content = new MultipartFormDataContent { { new StringContent("x"), "label" } } };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(traceId, (await response.JsonAsync()).GetProperty("trace_id").GetString());
    }

}

/// <summary>Readiness fails, and liveness does not, when the data directory stops taking writes.</summary>
public sealed class StorageReadinessTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Ready_is_503_naming_storage_while_live_stays_200()
    {
        using var client = factory.CreateClient();
        // A file where the data directory should be: nothing can be written under it.
        var moved = factory.DataDirectory + ".moved";
        Directory.Move(factory.DataDirectory, moved);
        await File.WriteAllTextAsync(factory.DataDirectory, "not a directory");
        try
        {
            var ready = await client.GetAsync("/health/ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var checks = (await ready.JsonAsync()).GetProperty("checks");
            Assert.Equal("unhealthy", checks.GetProperty("storage").GetProperty("status").GetString());
            Assert.Contains(factory.DataDirectory, checks.GetProperty("storage").GetProperty("description").GetString(), StringComparison.Ordinal);
            Assert.Equal("healthy", checks.GetProperty("model").GetProperty("status").GetString());
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        }
        finally
        {
            File.Delete(factory.DataDirectory);
            Directory.Move(moved, factory.DataDirectory);
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
    }
}
