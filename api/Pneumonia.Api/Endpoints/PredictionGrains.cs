using Pneumonia.Abstractions;

namespace Pneumonia.Api.Endpoints;

/// <summary>
/// Which <see cref="IPredictionGrain"/> a request calls. The grain is a stateless worker, so any key reaches the same
/// code and the same per-silo model; the key only decides the route. An Orleans client sends all calls to one grain
/// id through one gateway, and a gateway silo serves a stateless worker locally, so with a single key every request
/// of a front end would land on one predictor silo. A key per request, drawn from a small range, spreads a front
/// end's predictions over the gateways and so over the predictor silos (a co-hosted silo serves them all alike).
/// </summary>
internal static class PredictionGrains
{
    // Enough ids for the client's gateway buckets to cover every gateway; few enough that the stateless worker
    // activations per silo (up to the core count per id) stay a small, reused set.
    private const int Keys = 32;

    public static IPredictionGrain Any(IGrainFactory grains) => grains.GetGrain<IPredictionGrain>(Random.Shared.Next(Keys));
}
