using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Pneumonia.Api.Contracts;
using Pneumonia.Api.Hosting;
using Pneumonia.Api.Security;
using Pneumonia.Grains.Hosting;
using Pneumonia.Silo.Hosting;

namespace Pneumonia.Api.Endpoints;

/// <summary>
/// The web app for people who do not write code: static files from wwwroot served at <c>/</c> (same origin and API
/// key as the REST API it calls), plus the few facts it needs that the REST API does not say.
/// </summary>
public static class WebAppApi
{
    // The page loads only its own files: no CDN, no inline script. Plotly sets inline styles, and images are data: URLs.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

    public static WebApplication MapWebApp(this WebApplication app)
    {
        // Under dotnet run and from a publish directory the web root holds the files; a build output started directly
        // (`dotnet api/.../bin/Release/net10.0/linux-x64/Pneumonia.Api.dll`, from any folder) has them beside the dll.
        var files = app.Environment.WebRootFileProvider.GetFileInfo("index.html").Exists
            ? app.Environment.WebRootFileProvider
            : new PhysicalFileProvider(Path.Combine(AppContext.BaseDirectory, "wwwroot"));
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                // Revalidated on every load (ETag), so a new release is never mixed with cached modules.
                headers.CacheControl = "no-cache";
                headers.XContentTypeOptions = "nosniff";
                if (context.File.Name.EndsWith(".html", StringComparison.Ordinal))
                {
                    headers.ContentSecurityPolicy = ContentSecurityPolicy;
                }
            },
        });

        var group = app.MapGroup("/webapp").WithTags("Web app");
        group.MapGet("/settings", GetSettings).WithSummary("Whether an API key is needed, the hosting mode and the limits the web app checks before sending.");
        group.MapGet("/key", () => TypedResults.NoContent()).RequireApiKey()
            .WithSummary("204 when the X-API-Key header holds the configured key (or none is configured); 401/403 otherwise.");
        group.MapGet("/silos", GetSilosAsync).RequireApiKey().WithSummary("The silos of the cluster this API talks to.");
        return app;
    }

    internal static Ok<WebAppSettingsResponse> GetSettings(
        IOptions<PneumoniaApiOptions> api, IOptions<RetrainOptions> retrain, IConfiguration configuration)
    {
        var options = api.Value;
        var silo = configuration.GetSection(PneumoniaSiloOptions.SectionName).Get<PneumoniaSiloOptions>() ?? new();
        var coHosted = options.Mode == ApiHostingMode.CoHosted;
        return TypedResults.Ok(new WebAppSettingsResponse(
            !string.IsNullOrEmpty(options.ApiKey), coHosted ? "co-hosted" : "client", coHosted && silo.DashboardEnabled,
            options.MaxImageBytes, options.MaxBatchFiles, retrain.Value.MaxEpochs, retrain.Value.MaxBatchSize));
    }

    internal static async Task<Ok<SiloListResponse>> GetSilosAsync(IGrainFactory grains)
    {
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
        SiloDto[] silos = [.. hosts.OrderBy(h => h.SiloName, StringComparer.Ordinal).Select(h => new SiloDto(
            h.SiloAddress.ToString(), h.SiloName, h.HostName, h.Status.ToString().ToLowerInvariant(),
            new DateTimeOffset(h.StartTime, TimeSpan.Zero), new DateTimeOffset(h.IAmAliveTime, TimeSpan.Zero)))];
        return TypedResults.Ok(new SiloListResponse(silos.Length, silos));
    }
}
