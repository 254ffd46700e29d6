using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Pneumonia.Abstractions;
using Pneumonia.Api.Contracts;
using Pneumonia.Api.Security;
using Pneumonia.Api.Uploads;

namespace Pneumonia.Api.Endpoints;

/// <summary>Model versions, the production pointer and the production model's quality metrics.</summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Models");
        group.MapGet("/models", ListAsync).WithSummary("Every model version with its metrics, newest first, and which one is production.");
        group.MapGet("/models/history", HistoryAsync).WithSummary("Every promotion decision, refusals and forced ones included.");
        group.MapGet("/models/{version}", GetCardAsync).WithSummary("The complete model card of one version (snake_case like every answer; model.json on disk keeps its own camelCase).");
        group.MapPost("/select-model", SelectAsync).RequireApiKey()
            .WithSummary("Makes a version production through the promotion gate, or bypassing it with force=true (recorded).");
        group.MapPost("/models/rollback", RollbackAsync).RequireApiKey()
            .WithSummary("Points production back at the version it replaced last.");
        group.MapGet("/metrics", MetricsAsync)
            .WithSummary("The production model's metrics on the test split, read from its model card.");
        return app;
    }

    internal static async Task<Ok<ModelListResponse>> ListAsync(IGrainFactory grains)
    {
        var registry = grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default);
        var versions = await registry.ListAsync();
        var production = (await registry.GetProductionAsync())?.Version;
        // History is newest first: the first report found for a version is its latest.
        var gates = new Dictionary<string, GateReport>(StringComparer.Ordinal);
        foreach (var decision in await registry.GetHistoryAsync())
        {
            if (decision.Gate is { } gate)
            {
                gates.TryAdd(decision.Version, gate);
            }
        }

        return TypedResults.Ok(new ModelListResponse(production, versions.Count, [.. versions.Select(v => v.ToDto(production, gates.GetValueOrDefault(v.Version)))]));
    }

    internal static async Task<Ok<IReadOnlyList<PromotionResponse>>> HistoryAsync(IGrainFactory grains)
    {
        var history = await grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default).GetHistoryAsync();
        return TypedResults.Ok<IReadOnlyList<PromotionResponse>>([.. history.Select(d => d.ToDto())]);
    }

    internal static async Task<Results<Ok<ModelCard>, ProblemHttpResult>> GetCardAsync(string version, IGrainFactory grains)
    {
        var info = Names.IsValidKey(version) ? await grains.GetGrain<IModelVersionGrain>(version).GetAsync() : null;
        return info is null
            ? UnknownVersion(version)
            : TypedResults.Ok(info.Card);
    }

    internal static async Task<Results<Ok<PromotionResponse>, ProblemHttpResult>> SelectAsync(
        IGrainFactory grains,
        [FromQuery(Name = "model_name")] string modelName,
        bool force = false,
        string? reason = null)
    {
        if (string.IsNullOrWhiteSpace(modelName))
        {
            return TypedResults.Problem("The query parameter 'model_name' is empty; send the version to promote, as GET /models lists them.",
                statusCode: StatusCodes.Status400BadRequest, title: "Bad request",
                extensions: new Dictionary<string, object?> { ["field"] = "model_name" });
        }

        var registry = grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default);
        if (!Names.IsValidKey(modelName) || !(await registry.ListAsync()).Any(v => v.Version == modelName))
        {
            return UnknownVersion(modelName);
        }

        var why = string.IsNullOrWhiteSpace(reason) ? $"POST /select-model{(force ? " (forced)" : string.Empty)}" : DisplayName.Of(reason);
        // The gate judges the candidate against today's production on today's gate set (a few seconds on a trainer
        // silo). A forced promotion is evaluated too, so its record says what it overrode.
        var gate = await grains.GetGrain<IGateEvaluatorGrain>(modelName).EvaluateAsync();
        var decision = await registry.PromoteAsync(modelName, force, why, gate);
        return decision.Promoted
            ? TypedResults.Ok(decision.ToDto())
            : TypedResults.Problem(
                $"The promotion gate refused {modelName}: {decision.Reason} Use force=true to promote it anyway (recorded as forced).",
                statusCode: StatusCodes.Status409Conflict, title: "Refused by the promotion gate",
                extensions: new Dictionary<string, object?> { ["model_version"] = modelName, ["reason"] = decision.Reason, ["gate"] = decision.Gate?.ToDto() });
    }

    internal static async Task<Results<Ok<PromotionResponse>, ProblemHttpResult>> RollbackAsync(IGrainFactory grains, string? reason = null)
    {
        var decision = await grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default)
            .RollbackAsync(string.IsNullOrWhiteSpace(reason) ? "POST /models/rollback" : DisplayName.Of(reason));
        return decision.Promoted
            ? TypedResults.Ok(decision.ToDto())
            : TypedResults.Problem(decision.Reason, statusCode: StatusCodes.Status409Conflict, title: "Nothing to roll back to");
    }

    internal static async Task<Results<Ok<ModelMetricsResponse>, ProblemHttpResult>> MetricsAsync(IGrainFactory grains)
    {
        var registry = grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default);
        var production = await registry.GetProductionAsync();
        var info = production is null ? null : await grains.GetGrain<IModelVersionGrain>(production.Version).GetAsync();
        if (info is null)
        {
            return TypedResults.Problem("No production model is registered yet.", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var card = info.Card;
        var (split, report) = card.Test is { } test ? ("test", test) : ("validation", card.Validation);
        return TypedResults.Ok(new ModelMetricsResponse(
            card.Version, split, report.Count, report.Positives, report.Negatives, report.Threshold, card.ThresholdRule,
            report.Accuracy, report.Precision, report.Recall, report.RocAuc, report.LogLoss, report.Specificity, report.F1,
            report.PrAuc, report.BrierScore, report.ExpectedCalibrationError, report.ConfusionMatrix.ToDto(),
            [.. report.RocCurve.Select(p => new RocPointDto(p.Threshold, p.FalsePositiveRate, p.TruePositiveRate))],
            [.. report.CalibrationBins.Select(b => new CalibrationBinDto(b.Lower, b.Upper, b.Count, b.MeanPredicted, b.FractionPositive))],
            card.Validation.ToSummary(),
            (await registry.GetHistoryAsync()).FirstOrDefault(d => d.Version == card.Version && d.Promoted && d.Gate is not null)?.Gate?.ToDto()));
    }

    private static ProblemHttpResult UnknownVersion(string? version) =>
        TypedResults.Problem($"There is no model version '{DisplayName.Of(version)}'; GET /models lists them.",
            statusCode: StatusCodes.Status404NotFound, title: "Unknown model version");
}
