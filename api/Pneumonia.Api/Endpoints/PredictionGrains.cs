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
internal static class PredictionGrains
{
    // Enough ids for the client's gateway buckets to cover every gateway; few enough that the stateless worker
    // activations per silo (up to the core count per id) stay a small, reused set.
    private const int Keys = 32;

    // The first attempts are cut short and retried elsewhere; the last one waits as long as any grain call may.
    private const int Attempts = 3;

    public static IPredictionGrain Any(IGrainFactory grains) => grains.GetGrain<IPredictionGrain>(Random.Shared.Next(Keys));

    /// <summary>
    /// Runs <paramref name="call"/> on a prediction grain; if that attempt's silo fails, or gives no answer within
    /// <paramref name="attemptTimeout"/>, retries on another key (so, most likely, another gateway). Classifying is
    /// idempotent, so a retry is always safe. This is what keeps a killed predictor silo from failing the requests
    /// it held: the Orleans client (10.4) only fails a call sent through a gateway whose connection broke at the
    /// client's response timeout, far longer than the cluster takes to notice the silo is gone.
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
            catch (Exception ex) when (IsSiloFailure(ex) && !cancellationToken.IsCancellationRequested)
            {
                // An abandoned attempt may still finish; its answer is not needed and its faults are not observed.
                _ = pending.ContinueWith(static t => t.Exception, TaskScheduler.Default);
                metrics.Retried(attempt, ex);
            }
        }
    }

    // No model (InvalidOperationException) and bad input are answers, not silo failures: they are never retried.
    private static bool IsSiloFailure(Exception exception) =>
        exception is TimeoutException or SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException;
}
