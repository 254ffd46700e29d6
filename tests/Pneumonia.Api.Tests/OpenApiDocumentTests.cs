using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Pneumonia.Api.Client;
using Pneumonia.Api.Client.Models;

namespace Pneumonia.Api.Tests;

/// <summary>
/// The OpenAPI document clients generate code from: its committed copy (docs/openapi/v1.json, which CI lints with
/// Redocly and from which the build generates the Kiota client under test here) is the one the API serves, and the
/// generated client works against the real API.
/// </summary>
public sealed class OpenApiDocumentTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    /// <summary>Set to 1 to rewrite docs/openapi/v1.json from the running API instead of comparing.</summary>
    private const string UpdateVariable = "PNEUMONIA_UPDATE_OPENAPI";

    private static string CommittedPath => Path.Combine(TestData.RepositoryRoot, "docs", "openapi", "v1.json");

    [Fact]
    public async Task The_committed_document_is_the_one_the_api_serves()
    {
        var served = await ServedDocumentAsync();
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            await File.WriteAllTextAsync(CommittedPath, served);
        }

        Assert.True(served == await File.ReadAllTextAsync(CommittedPath),
            $"docs/openapi/v1.json is out of date: run this test with {UpdateVariable}=1 and commit the file.");
    }

    [Fact]
    public async Task Operations_have_ids_security_and_problem_details_and_numbers_are_numbers()
    {
        var document = JsonNode.Parse(await ServedDocumentAsync())!;
        var paths = document["paths"]!.AsObject();
        Assert.DoesNotContain(paths, path => path.Key.StartsWith("/dashboard", StringComparison.Ordinal));
        Assert.Equal("X-API-Key", document["components"]!["securitySchemes"]!["ApiKey"]!["name"]!.GetValue<string>());

        var operations = paths.SelectMany(path => path.Value!.AsObject().Select(op => (Name: $"{op.Key.ToUpperInvariant()} {path.Key}", Operation: op.Value!))).ToList();
        Assert.Contains(operations, op => op.Name == "POST /retrain" && op.Operation["security"]!.AsArray().Count == 1);
        Assert.All(operations, op =>
        {
            Assert.False(string.IsNullOrEmpty(op.Operation["operationId"]?.GetValue<string>()), op.Name);
            var responses = op.Operation["responses"]!.AsObject();
            Assert.Contains(responses, r => r.Key.StartsWith('4'));
            Assert.Contains("500", responses.Select(r => r.Key));
        });
        Assert.Contains("409", operations.Single(op => op.Name == "POST /retrain").Operation["responses"]!.AsObject().Select(r => r.Key));
        Assert.Equal(
            ["400", "413", "415", "422", "503"],
            operations.Single(op => op.Name == "POST /predict").Operation["responses"]!.AsObject().Select(r => r.Key).Where(k => k is not "200" and not "500").Order());

        // JSON numbers only (strict number handling), never number-or-string.
        Assert.DoesNotContain("\"pattern\": \"^-?(?:0|[1-9]", document.ToJsonString(), StringComparison.Ordinal);
        var card = document["components"]!["schemas"]!["ModelCard"]!["properties"]!.AsObject().Select(p => p.Key).ToList();
        Assert.Contains("threshold_rule", card);
        Assert.All(card, name => Assert.Equal(name.ToLowerInvariant(), name));
    }

    [Fact]
    public async Task The_generated_client_reads_health_the_model_card_and_a_problem()
    {
        using var http = factory.CreateClient();
        var client = new PneumoniaApiClient(new HttpClientRequestAdapter(new AnonymousAuthenticationProvider(), httpClient: http)
        {
            BaseUrl = http.BaseAddress!.ToString().TrimEnd('/'),
        });

        var health = await client.Health.GetAsync();
        Assert.Equal(factory.BundledModelVersion, health!.ModelVersion);

        var card = await client.Models[factory.BundledModelVersion].GetAsync();
        Assert.Equal(factory.BundledModelVersion, card!.Version);
        Assert.NotNull(card.Test?.RocAuc);

        var problem = await Assert.ThrowsAsync<ProblemDetails>(() => client.Models["no-such-version"].GetAsync());
        Assert.Equal(404, problem.Status);
        Assert.False(string.IsNullOrEmpty(problem.TraceId));
    }

    private async Task<string> ServedDocumentAsync()
    {
        var document = JsonNode.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json"))!;
        // The test server's address stands in for the default one of `dotnet run`.
        document["servers"] = new JsonArray(new JsonObject { ["url"] = "http://localhost:5080" });
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
