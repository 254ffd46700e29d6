using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Api.Contracts;
using Pneumonia.Grains.Hosting;

namespace Pneumonia.Api.Endpoints;

/// <summary>
/// <c>GET /jobs/{id}/events</c>: a job's progress pushed as Server-Sent Events, so that a page shows it without
/// polling. It reads the job grain's state at the job's own progress interval and sends what changed.
/// </summary>
public static class TrainingEventsApi
{
    /// <summary>The event sent whenever the job's state changed; its data is the <c>GET /jobs/{id}</c> answer.</summary>
    public const string ProgressEvent = "progress";

    /// <summary>The last event, once the job has finished (completed, failed or cancelled); the stream then ends.</summary>
    public const string EndEvent = "end";

    public static IEndpointRouteBuilder MapTrainingEventsApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("").WithTags("Training")
            .MapGet("/jobs/{id}/events", GetEventsAsync)
            .WithSummary("The job's progress as Server-Sent Events: 'progress' whenever it changes, then one 'end' when it finishes.");
        return app;
    }

    internal static async Task<Results<ServerSentEventsResult<string>, ProblemHttpResult>> GetEventsAsync(
        string id, IGrainFactory grains, IOptions<RetrainOptions> retrain, IOptions<JsonOptions> json, TimeProvider time, CancellationToken cancellationToken)
    {
        var grain = Names.IsValidKey(id) ? grains.GetGrain<ITrainingJobGrain>(id) : null;
        var job = grain is null ? null : await grain.GetAsync();
        if (grain is null || job is null)
        {
            return TypedResults.Problem($"There is no training job '{Uploads.DisplayName.Of(id)}'; GET /jobs lists them.", statusCode: StatusCodes.Status404NotFound);
        }

        return TypedResults.ServerSentEvents(EventsAsync(grain, job, retrain.Value.ProgressInterval, json.Value.SerializerOptions, time, cancellationToken));
    }

    private static async IAsyncEnumerable<SseItem<string>> EventsAsync(
        ITrainingJobGrain grain, TrainingJobInfo job, TimeSpan interval, JsonSerializerOptions json, TimeProvider time,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Serialized here with the API's own JSON options, so an event's data is exactly the GET /jobs/{id} body.
        string? sent = null;
        using var timer = new PeriodicTimer(interval, time);
        while (true)
        {
            var data = JsonSerializer.Serialize(job.ToDto(), json);
            if (job.IsFinished)
            {
                yield return new SseItem<string>(data, EndEvent);
                yield break;
            }

            if (data != sent)
            {
                yield return new SseItem<string>(data, ProgressEvent);
                sent = data;
            }

            if (!await NextTickAsync(timer, cancellationToken))
            {
                yield break;
            }

            job = await grain.GetAsync() ?? job;
        }
    }

    // A client that goes away ends the stream quietly rather than as an error.
    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
