using System.Net;
using Pneumonia.Reliability.Tests.Infrastructure;

namespace Pneumonia.Reliability.Tests;

/// <summary>Configured as if listening beyond loopback (the test server binds nothing), with verbose logs.</summary>
public sealed class ExposedApiFactory : ReliabilityApiFactory
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["urls"] = "http://0.0.0.0:12999",
        ["Pneumonia:Api:ImportDirectory"] = Path.Combine(DataDirectory, "..", "imports"),
        ["Logging:LogLevel:Default"] = "Debug",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
    };
}

/// <summary>The API key guards every mutating endpoint, the dashboard and the admin endpoints when exposed, and never reaches a log.</summary>
public sealed class AccessTests(ExposedApiFactory factory) : IClassFixture<ExposedApiFactory>
{
    private const string WrongKey = "wrong-key-5d1c0b2a";

    // POSTs that change nothing (classification) are open by design.
    private static readonly string[] ReadOnlyPosts = ["/predict", "/predict/batch"];

    [Fact]
    public async Task Every_mutating_endpoint_rejects_a_missing_or_wrong_key_and_the_key_never_reaches_the_logs()
    {
        using var anonymous = factory.CreateClient();
        var document = await anonymous.GetJsonAsync("/openapi/v1.json");
        var mutating = document.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(op => (Method: op.Name.ToUpperInvariant(), Path: path.Name)))
            .Where(op => op.Method != "GET" && !ReadOnlyPosts.Contains(op.Path))
            .ToList();
        Assert.Superset(new HashSet<string> { "/upload", "/retrain", "/stop-retrain", "/select-model", "/models/rollback", "/admin/import" }.ToHashSet(),
            mutating.Select(op => op.Path).ToHashSet());

        using var wrong = factory.CreateClient();
        wrong.DefaultRequestHeaders.Add("X-API-Key", WrongKey);
        using var right = factory.CreateAuthorizedClient();
        foreach (var (method, path) in mutating)
        {
            using var missing = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
            Assert.Contains("X-API-Key", missing.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            using var refused = await wrong.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            using var allowed = await right.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.NotEqual(HttpStatusCode.Unauthorized, allowed.StatusCode);
            Assert.NotEqual(HttpStatusCode.Forbidden, allowed.StatusCode);
        }

        // Also an upload and a retrain with the right key, so that the busiest logging paths run.
        using (var form = Files.Form("files", [("x.jpeg", Files.OneXray())], "NORMAL"))
        {
            Assert.Equal(HttpStatusCode.OK, (await right.PostAsync("/upload", form)).StatusCode);
        }

        var lines = factory.Logs.Lines.ToList();
        Assert.True(lines.Count > 50, $"only {lines.Count} log lines captured");
        Assert.DoesNotContain(lines, line => line.Contains(ReliabilityApiFactory.ApiKey, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.Contains(WrongKey, StringComparison.Ordinal));
        ReliabilityLog.Record(Areas.Access, "every mutating endpoint of the OpenAPI document without a key, with a wrong key, with the key",
            mutating.Count * 3, $"{mutating.Count} endpoints ({string.Join(", ", mutating.Select(m => m.Path))}): 401 with WWW-Authenticate without a key, 403 with a wrong one, neither with the key; "
                + $"neither key in any of {lines.Count} captured log lines (Debug level)");
    }

    [Fact]
    public async Task When_exposed_the_dashboard_and_the_admin_endpoints_need_the_key()
    {
        using var anonymous = factory.CreateClient();
        string[] guarded = ["/dashboard/", "/dashboard/ClusterStats", "/dashboard/GrainState", "/dashboard/Reminders"];
        foreach (var path in guarded)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/admin/import?path=x", null)).StatusCode);
        using var right = factory.CreateAuthorizedClient();
        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("/dashboard/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("/dashboard/ClusterStats")).StatusCode);
        ReliabilityLog.Record(Areas.Access, "dashboard and admin import when the server listens on 0.0.0.0", guarded.Length + 3,
            "without the key: 401 for the dashboard page, its data endpoints (grain state, cluster stats, reminders) and POST /admin/import; with the key: 200");
    }
}
