using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Pneumonia.Abstractions;
using Pneumonia.Api.Contracts;
using Pneumonia.Api.Security;

namespace Pneumonia.Api.Endpoints;

/// <summary>Retraining: start one job at a time, follow it, stop it, list jobs.</summary>
public static class TrainingApi
{
    public static IEndpointRouteBuilder MapTrainingApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Training");
        group.MapPost("/retrain", StartAsync).RequireApiKey()
            .WithSummary("Starts a retrain on the labelled images outside the gate set (202); promote=false trains and judges without touching production; 409 while a job runs; 422 when there are too few labelled images; 503 while the base data set is being imported.");
        group.MapGet("/retrain-progress", GetProgressAsync)
            .WithSummary("The running job, else the latest one, else {running: false, status: idle}.");
        group.MapPost("/stop-retrain", StopAsync).RequireApiKey()
            .WithSummary("Cancels the running job within seconds; production is left as it was.");
        group.MapGet("/jobs", ListAsync).WithSummary("Every training job, newest first.");
        group.MapGet("/jobs/{id}", GetAsync).WithSummary("One training job.");
        return app;
    }

    internal static async Task<Results<Accepted<RetrainStartedResponse>, ValidationProblem, ProblemHttpResult>> StartAsync(
        IGrainFactory grains,
        int epochs = 5,
        int batch_size = 32,
        bool fine_tune = true,
        bool promote = true)
    {
        // The parameters keep the original API's snake_case names, so binding errors name them as clients wrote them.
        var (batchSize, fineTune) = (batch_size, fine_tune);
        // The limits (Pneumonia:Retrain) are the coordinator's to check: a front end needs no copy of the silos' settings.
        var request = new RetrainRequest(epochs, batchSize, fineTune, promote);
        var result = await grains.GetGrain<ITrainingCoordinatorGrain>(WellKnownKeys.Default).StartAsync(request);
        return result.Outcome switch
        {
            StartRetrainOutcome.Started => TypedResults.Accepted(
                $"/jobs/{result.JobId}", new RetrainStartedResponse("started", result.JobId!, epochs, batchSize, fineTune, promote)),
            StartRetrainOutcome.InvalidRequest => OutOfRangeProblem(result.OutOfRange ?? []),
            StartRetrainOutcome.NotEnoughData => TypedResults.Problem(
                result.Reason, statusCode: StatusCodes.Status422UnprocessableEntity, title: "Not enough labelled images to train on"),
            StartRetrainOutcome.DataNotReady => TypedResults.Problem(
                result.Reason, statusCode: StatusCodes.Status503ServiceUnavailable, title: "The base data set is still being imported"),
            StartRetrainOutcome.AlreadyRunning => TypedResults.Problem(
                $"Training job {result.JobId} is running; wait for it to end or POST /stop-retrain.",
                statusCode: StatusCodes.Status409Conflict, title: "A training job is running",
                extensions: new Dictionary<string, object?> { ["job_id"] = result.JobId }),
            _ => TypedResults.Problem(
                result.Reason ?? "There is nothing to train on.",
                statusCode: StatusCodes.Status400BadRequest, title: "Nothing to train on"),
        };
    }

    internal static async Task<Ok<TrainingJobResponse>> GetProgressAsync(IGrainFactory grains)
    {
        var job = await grains.GetGrain<ITrainingCoordinatorGrain>(WellKnownKeys.Default).GetLatestAsync();
        return TypedResults.Ok(job?.ToDto() ?? Mapping.Idle);
    }

    internal static async Task<Results<Ok<StopRetrainResponse>, ProblemHttpResult>> StopAsync(IGrainFactory grains)
    {
        var coordinator = grains.GetGrain<ITrainingCoordinatorGrain>(WellKnownKeys.Default);
        var running = await coordinator.GetLatestAsync();
        return await coordinator.CancelRunningAsync()
            ? TypedResults.Ok(new StopRetrainResponse("cancelling", running is { IsFinished: false } ? running.JobId : null))
            : TypedResults.Problem("No training job is running.", statusCode: StatusCodes.Status409Conflict, title: "Nothing to stop");
    }

    internal static async Task<Ok<JobListResponse>> ListAsync(IGrainFactory grains)
    {
        var jobs = await grains.GetGrain<ITrainingCoordinatorGrain>(WellKnownKeys.Default).ListAsync();
        return TypedResults.Ok(new JobListResponse(jobs.Count, [.. jobs.Select(job => job.ToDto())]));
    }

    internal static async Task<Results<Ok<TrainingJobResponse>, ProblemHttpResult>> GetAsync(string id, IGrainFactory grains)
    {
        var job = Names.IsValidKey(id) ? await grains.GetGrain<ITrainingJobGrain>(id).GetAsync() : null;
        return job is null
            ? TypedResults.Problem($"There is no training job '{DisplayNameOf(id)}'.", statusCode: StatusCodes.Status404NotFound)
            : TypedResults.Ok(job.ToDto());
    }

    private static string DisplayNameOf(string id) => Uploads.DisplayName.Of(id);

    // Named as the client wrote them: the request's BatchSize is the query's batch_size.
    private static ValidationProblem OutOfRangeProblem(IReadOnlyList<RetrainValueOutOfRange> outside)
    {
        var errors = outside.ToDictionary(
            o => JsonNamingPolicy.SnakeCaseLower.ConvertName(o.Field),
            o => new[] { $"{JsonNamingPolicy.SnakeCaseLower.ConvertName(o.Field)} must be between {o.Minimum} and {o.Maximum}; got {o.Value}." },
            StringComparer.Ordinal);
        return TypedResults.ValidationProblem(errors, detail: string.Join(" ", errors.Values.SelectMany(e => e)));
    }
}
