using Orleans.Runtime.Messaging;
using Pneumonia.Abstractions;
using Pneumonia.Api.Monitoring;

namespace Pneumonia.Api.Endpoints;

/// <summary>
/// Which <see cref="IPredictionGrain"/> a request calls, and how a call survives a predictor silo that dies under it.
/// The grain is a stateless worker, so any key reaches the same code and the same per-silo model; the key only
/// decides the route. An Orleans client sends all calls to one grain id through one gateway, and a gateway silo
/// serves a stateless worker locally, so with a single key every request of a front end would land on one predictor
/// silo. A key per request, drawn from a small range, spreads a front end's predictions over the gateways and so over
/// the predictor silos (a co-hosted silo serves them all alike).
/// </summary>
internal static class PredictionCalls
{
    // Enough ids for the client's gateway buckets to cover every gateway; few enough that the stateless worker
    // activations per silo (up to the core count per id) stay a small, reused set.
    private const int Keys = 32;

    // The first attempts are cut short and retried elsewhere; the last one waits as long as any grain call may.
    private const int Attempts = 4;

    // Pauses before the 2nd, 3rd and 4th attempt: long enough for the client to drop a gateway whose connection broke
    // (it does so at the first failed send) and, by the last one, for membership to declare a killed silo dead
    // (ProbeTimeout x MissedProbesLimit, 4 s by default, docs/DEPLOY.md), short enough to be lost in a p99.
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(1500)];

    public static IPredictionGrain Any(IGrainFactory grains) => grains.GetGrain<IPredictionGrain>(Random.Shared.Next(Keys));

    /// <summary>
    /// Runs <paramref name="call"/> on a prediction grain; if that attempt's silo fails, has no model loaded yet, or
    /// gives no answer within <paramref name="attemptTimeout"/>, waits a growing pause and retries on another key, at most
    /// <see cref="Attempts"/> times in all. Classifying is idempotent, so a retry is always safe. Calls to a stateless
    /// worker are unordered messages, which an Orleans client sends over its live gateways in turn, and it removes a
    /// gateway from that list as soon as a send to it fails: so a retry after the pause goes to another predictor.
    /// This is what keeps a killed predictor silo from failing the requests it held: the Orleans client (10.4) only
    /// fails a call sent through a gateway whose connection broke at the client's response timeout, far longer than
    /// the cluster takes to notice the silo is gone. Each retry is counted in <paramref name="metrics"/>.
    /// </summary>
    public static async Task<T> CallAsync<T>(
        IGrainFactory grains, Func<IPredictionGrain, Task<T>> call, TimeSpan attemptTimeout, ApiMetrics metrics, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var pending = call(Any(grains));
            if (attempt == Attempts)
            {
                return await pending.WaitAsync(cancellationToken);
            }

            try
            {
                return await pending.WaitAsync(attemptTimeout, cancellationToken);
            }
            catch (Exception ex) when (IsRetryable(ex) && !cancellationToken.IsCancellationRequested)
            {
                // An abandoned attempt may still finish; its answer is not needed and its faults are not observed.
                _ = pending.ContinueWith(static t => t.Exception, TaskScheduler.Default);
                metrics.Retried(attempt, ex);
            }

            await Task.Delay(Jittered(Backoff[attempt - 1]), cancellationToken);
        }
    }

    // +-25 %, so that the requests a dead silo held do not all come back at the same instant.
    private static TimeSpan Jittered(TimeSpan pause) => pause * (0.75 + (Random.Shared.NextDouble() / 2));

    // Bad input is an answer, never retried. No model (NoModelLoadedException, and nothing else) is retried: a predictor that has
    // just joined accepts calls a moment before it has loaded the production model, while the others have it; if no
    // silo has one, the last attempt's answer is the 503 the caller gets.
    private static bool IsRetryable(Exception exception) =>
        exception is TimeoutException or SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException
            or NoModelLoadedException;
}
