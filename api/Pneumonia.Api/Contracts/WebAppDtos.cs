namespace Pneumonia.Api.Contracts;

/// <summary>What the web app at <c>/</c> needs to know before it offers an action (<c>GET /webapp/settings</c>).</summary>
/// <param name="ApiKeyRequired">Whether uploads, retraining and model changes need the <c>X-API-Key</c> header.</param>
/// <param name="Mode">"co-hosted" or "client".</param>
/// <param name="Dashboard">Whether the Orleans dashboard is served at <c>/dashboard/</c> by this process.</param>
public sealed record WebAppSettingsResponse(
    bool ApiKeyRequired, string Mode, bool Dashboard, long MaxImageBytes, int MaxBatchFiles, int MaxEpochs, int MaxBatchSize);

/// <summary>One silo of the cluster the API talks to.</summary>
/// <param name="Status">Orleans' membership status, e.g. "active", "dead".</param>
public sealed record SiloDto(string Address, string Name, string Host, string Status, DateTimeOffset StartedAt, DateTimeOffset LastAlive);

/// <summary>The answer of <c>GET /webapp/silos</c>.</summary>
public sealed record SiloListResponse(int Count, IReadOnlyList<SiloDto> Silos);
