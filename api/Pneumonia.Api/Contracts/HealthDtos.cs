namespace Pneumonia.Api.Contracts;

/// <summary>The answer of <c>GET /health</c>; status "ok" with 200 when a production model is ready, else "unavailable" with 503.</summary>
/// <param name="ModelVersion">The version that answers predictions here (co-hosted: the one the local silo has loaded).</param>
/// <param name="ProductionVersion">The registry's production version; differs from <paramref name="ModelVersion"/> for a moment after a switch.</param>
/// <param name="BaseData">A sentence when the base data set is not (yet) there to train on: importing, not found, not configured, failed.</param>
/// <param name="ServingPrecision">
/// The number format the model answers in here: "int8" (ONNX Runtime), "bf16" (also int8 asked for a model whose card
/// has no activation ranges) or "fp32"; null in client mode, where the silos serve.
/// </param>
public sealed record HealthResponse(
    string Status, DateTimeOffset Timestamp, bool Ready, string? ModelVersion, string? ProductionVersion, DateTimeOffset? ModelSince, string Mode, string? Detail,
    string? BaseData = null, string? ServingPrecision = null);
