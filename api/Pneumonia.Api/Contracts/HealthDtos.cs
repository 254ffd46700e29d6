namespace Pneumonia.Api.Contracts;

/// <summary>The answer of <c>GET /health</c>; status "ok" with 200 when a production model is ready, else "unavailable" with 503.</summary>
public sealed record HealthResponse(string Status, DateTimeOffset Timestamp, bool Ready, string? ModelVersion, DateTimeOffset? ModelSince, string Mode, string? Detail);
