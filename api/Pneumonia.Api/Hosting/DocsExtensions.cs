using Scalar.AspNetCore;

namespace Pneumonia.Api.Hosting;

/// <summary>The OpenAPI document at /openapi/v1.json and the Scalar UI to try it at /docs.</summary>
public static class DocsExtensions
{
    public static WebApplicationBuilder AddPneumoniaOpenApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "PneumoniaOrleans API";
            document.Info.Description =
                "Pneumonia detection on chest X-rays. Mutating endpoints (upload, retrain, stop-retrain, select-model, " +
                "models/rollback, admin/import) need the X-API-Key header when a key is configured.";
            return Task.CompletedTask;
        }));
        builder.AddPneumoniaOpenApiConventions();
        return builder;
    }

    public static WebApplication MapPneumoniaDocs(this WebApplication app)
    {
        app.MapOpenApi();
        // Served from this process only: Scalar's bundled script; no web fonts from a CDN, no telemetry, no agent.
        app.MapScalarApiReference("/docs", options => options
            .WithTitle("PneumoniaOrleans API")
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .AddPreferredSecuritySchemes(OpenApiConventions.ApiKeyScheme));
        return app;
    }
}
