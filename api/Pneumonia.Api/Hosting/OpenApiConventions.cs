using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Pneumonia.Api.Security;

namespace Pneumonia.Api.Hosting;

/// <summary>
/// What makes /openapi/v1.json a document clients can generate code from (linted in CI with Redocly's recommended
/// rules): the <c>X-API-Key</c> security scheme on the operations that need it, only the API's own routes, every
/// error answer documented with its ProblemDetails, numbers typed as numbers, an operationId and a summary for every
/// operation, and a description for every tag.
/// </summary>
public static class OpenApiConventions
{
    public const string ApiKeyScheme = "ApiKey";

    private const string ProblemSchema = "ProblemDetails";

    private static readonly Dictionary<string, string> TagDescriptions = new()
    {
        ["Health"] = "Whether this process can answer predictions (probes for orchestrators: /health/live and /health/ready).",
        ["Prediction"] = "Classifying chest X-rays with the production model.",
        ["Dataset"] = "The labelled images: uploads, counts, samples.",
        ["Training"] = "Retraining in the background and its jobs.",
        ["Models"] = "Model versions, their cards and metrics, and the production pointer behind the promotion gate.",
        ["Admin"] = "Server-side imports.",
    };

    // The answers each operation gives besides its success and the ones every operation may give (400 for a
    // parameter that does not bind, 500, 503 when the cluster does not answer; 401/403 with the API key).
    private static readonly Dictionary<string, int[]> ErrorAnswers = new()
    {
        ["POST /predict"] = [413, 415, 422],
        ["POST /predict/batch"] = [413],
        ["POST /upload"] = [413, 415, 422],
        ["POST /retrain"] = [409],
        ["POST /stop-retrain"] = [409],
        ["GET /jobs/{id}"] = [404],
        ["GET /models/{version}"] = [404],
        ["POST /select-model"] = [404, 409],
        ["POST /models/rollback"] = [409],
        ["POST /admin/import"] = [404],
    };

    private static readonly Dictionary<int, string> Reasons = new()
    {
        [400] = "Bad request: a parameter, field or file is missing or not valid (the detail names it).",
        [401] = "The X-API-Key header is missing.",
        [403] = "The X-API-Key header does not match the configured key.",
        [404] = "Not found.",
        [409] = "Conflict with the current state (the detail says which).",
        [413] = "A file or the request is over its size limit.",
        [415] = "A file is not a JPEG or PNG image.",
        [422] = "An image has more pixels than the limit.",
        [500] = "Unexpected server error; trace_id identifies it in the server's logs.",
        [503] = "The grain cluster or the production model is not available yet; try again shortly.",
    };

    /// <summary>Strict JSON numbers (documented as numbers, not number-or-string) and the document's transformers.</summary>
    public static WebApplicationBuilder AddPneumoniaOpenApiConventions(this WebApplicationBuilder builder)
    {
        builder.Services.Configure<JsonOptions>(json => json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict);
        builder.Services.ConfigureAll<OpenApiOptions>(options =>
        {
            // The Orleans dashboard's own routes are not part of this API.
            options.ShouldInclude = description => description.RelativePath?.StartsWith("dashboard", StringComparison.OrdinalIgnoreCase) != true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                Describe(document);
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                Describe(operation, context);
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    private static void Describe(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyAuthenticationHandler.HeaderName,
            Description = "The API key (Pneumonia:Api:ApiKey) for the mutating endpoints; needed only when a key is configured.",
        };
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = ProblemDetailsSchema();
        document.Tags = new HashSet<OpenApiTag>(TagDescriptions.Select(tag => new OpenApiTag { Name = tag.Key, Description = tag.Value }));
        // The server the document was fetched from, without the trailing slash the generator gives it.
        foreach (var server in document.Servers ?? [])
        {
            server.Url = server.Url?.TrimEnd('/');
        }
    }

    private static void Describe(OpenApiOperation operation, OpenApiOperationTransformerContext context)
    {
        var method = context.Description.HttpMethod ?? "GET";
        var path = "/" + context.Description.RelativePath?.TrimEnd('/');
        operation.OperationId ??= OperationId(method, path);
        operation.Summary ??= operation.Description ?? $"{method} {path}";

        var needsKey = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>()
            .Any(a => a.Policy == ApiKeyAuthenticationHandler.PolicyName);
        operation.Security = needsKey
            ? [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeyScheme, context.Document)] = [] }]
            : [];

        var codes = new List<int> { 400, 500, 503 };
        codes.AddRange(ErrorAnswers.GetValueOrDefault($"{method} {path}", []));
        if (needsKey)
        {
            codes.AddRange([401, 403]);
        }

        operation.Responses ??= [];
        foreach (var code in codes.Order())
        {
            var key = code.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (operation.Responses.TryGetValue(key, out var existing) && existing.Content?.Count > 0)
            {
                continue; // already typed by the endpoint (a ValidationProblem, /health's 503 body)
            }

            operation.Responses[key] = new OpenApiResponse
            {
                Description = Reasons[code],
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, context.Document) },
                },
            };
        }
    }

    /// <summary><c>POST /predict/batch</c> -> <c>postPredictBatch</c>, <c>GET /jobs/{id}</c> -> <c>getJobsById</c>.</summary>
    internal static string OperationId(string method, string path)
    {
        var words = path.Split('/', '-', '_').Where(w => w.Length > 0)
            .Select(w => w.StartsWith('{') ? "By" + Capitalise(w.Trim('{', '}')) : Capitalise(w));
        return method.ToLowerInvariant() + string.Concat(words);

        static string Capitalise(string word) => char.ToUpperInvariant(word[0]) + word[1..];
    }

    private static OpenApiSchema ProblemDetailsSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "RFC 9457 problem details; 'detail' says what was wrong and what to send instead.",
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["code"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A machine-readable reason, where there is one (e.g. TooLarge, NoModel)." },
            ["trace_id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request's W3C trace id, also in the server's logs and traces." },
        },
        AdditionalPropertiesAllowed = true,
    };
}
