using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Api.Contracts;
using Pneumonia.Api.Hosting;
using Pneumonia.Grains.Prediction;

namespace Pneumonia.Api.Endpoints;

/// <summary><c>GET /health</c>: 200 once a production model is registered, 503 before (or when the cluster is unreachable).</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/health").WithTags("Health")
            .MapGet("", GetHealthAsync)
            .WithSummary("The production model version, 503 until one is loaded (orchestrators: /health/live and /health/ready).")
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    internal static async Task<Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>>> GetHealthAsync(
        IGrainFactory grains, TimeProvider time, IOptions<PneumoniaApiOptions> options, IServiceProvider services, ILogger<PneumoniaApiOptions> logger)
    {
        var mode = options.Value.Mode == ApiHostingMode.CoHosted ? "co-hosted" : "client";
        ProductionModel? production;
        try
        {
            production = await grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default).GetProductionAsync();
        }
        catch (Exception ex) when (ex is OrleansException or TimeoutException or InvalidOperationException)
        {
            logger.LogWarning(ex, "Health check could not reach the model registry");
            return Unavailable(time, mode, "The grain cluster did not answer.");
        }

        if (production is null)
        {
            return Unavailable(time, mode, "No production model is registered yet.");
        }

        // Co-hosted, the local silo also says whether it has loaded the model; a client trusts the registry.
        var status = services.GetService<IProductionModelStatus>();
        if (status is { IsReady: false })
        {
            return Unavailable(time, mode, $"Production model {production.Version} is not loaded yet.");
        }

        return TypedResults.Ok(new HealthResponse(
            "ok", time.GetUtcNow(), true, status?.Version ?? production.Version, production.Version, production.Since, mode, null,
            await BaseDataSentenceAsync(grains), status?.Precision));
    }

    /// <summary>Serving does not need the base data set, training does: said in a sentence, without failing the check.</summary>
    private static async Task<string?> BaseDataSentenceAsync(IGrainFactory grains)
    {
        var readiness = await grains.GetGrain<IDatasetGrain>(WellKnownKeys.Default).GetTrainingReadinessAsync();
        return readiness.BaseData is { State: not BaseDataState.Imported } status ? status.Message : null;
    }

    private static JsonHttpResult<HealthResponse> Unavailable(TimeProvider time, string mode, string detail) =>
        TypedResults.Json(new HealthResponse("unavailable", time.GetUtcNow(), false, null, null, null, mode, detail),
            statusCode: StatusCodes.Status503ServiceUnavailable);
}
