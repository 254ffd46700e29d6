using Microsoft.Extensions.Logging;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Telemetry;

namespace Pneumonia.Grains.Models;

/// <summary>Persisted state of <see cref="ModelRegistryGrain"/>: names and decisions; cards live in the version grains.</summary>
[GenerateSerializer, Alias("pneumonia.ModelRegistryState")]
public sealed class ModelRegistryState
{
    /// <summary>Version names in registration order.</summary>
    [Id(0)] public List<string> Versions { get; set; } = [];

    [Id(1)] public ProductionModel? Production { get; set; }

    /// <summary>Every decision, oldest first.</summary>
    [Id(2)] public List<PromotionDecision> History { get; set; } = [];

    /// <summary>The production versions replaced by promotions, most recent last: what rollbacks go back to.</summary>
    [Id(3)] public List<string> Replaced { get; set; } = [];
}

/// <summary>
/// All versions, the production pointer and the promotion gate. Non-reentrant, so a promotion and a rollback never
/// interleave; every decision, refusals included, is kept in the history.
/// </summary>
public sealed class ModelRegistryGrain(
    [PersistentState("registry", GrainStorage.Name)] IPersistentState<ModelRegistryState> state,
    TimeProvider time,
    GrainMetrics metrics,
    ILogger<ModelRegistryGrain> logger) : Grain, IModelRegistryGrain
{
    public async Task RegisterAsync(ModelVersionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        await GrainFactory.GetGrain<IModelVersionGrain>(info.Version).RegisterAsync(info);
        if (state.State.Versions.Contains(info.Version))
        {
            return;
        }

        state.State.Versions.Add(info.Version);
        if (state.State.Production is null)
        {
            var now = time.GetUtcNow();
            state.State.Production = new ProductionModel(info.Version, info.Directory, now);
            state.State.History.Add(new PromotionDecision(info.Version, Promoted: true, PreviousVersion: null, Forced: false,
                "the first registered version becomes production", now));
            logger.LogInformation("Model {Version} registered as the first version and made production", info.Version);
        }

        await state.WriteStateAsync();
    }

    public async Task<IReadOnlyList<ModelVersionInfo>> ListAsync()
    {
        var infos = await Task.WhenAll(state.State.Versions.Select(v => GrainFactory.GetGrain<IModelVersionGrain>(v).GetAsync()));
        return infos.OfType<ModelVersionInfo>().Reverse().ToList();
    }

    public Task<ProductionModel?> GetProductionAsync() => Task.FromResult(state.State.Production);

    public async Task<PromotionDecision> PromoteAsync(string version, bool force, string reason, GateReport? gate)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(version);
        if (!state.State.Versions.Contains(version))
        {
            throw new ArgumentException($"Model version {version} is not registered.", nameof(version));
        }

        if (gate is not null && gate.CandidateVersion != version)
        {
            throw new ArgumentException($"The gate report is about {gate.CandidateVersion}, not {version}.", nameof(gate));
        }

        var now = time.GetUtcNow();
        var current = state.State.Production;
        if (current?.Version == version)
        {
            return new PromotionDecision(version, Promoted: true, version, force, "already production; nothing changed", now, gate);
        }

        var candidate = await GetInfoAsync(version);
        var (passes, because) = Judge(gate, current);
        var promoted = passes || force;
        var text = force && !passes ? $"forced past the gate: {because}" : because;
        var decision = new PromotionDecision(version, promoted, current?.Version, force && !passes, $"{reason}: {text}", now, gate);
        state.State.History.Add(decision);
        if (promoted)
        {
            if (current is not null)
            {
                state.State.Replaced.Add(current.Version);
            }

            state.State.Production = new ProductionModel(version, candidate.Directory, now);
        }

        await state.WriteStateAsync();
        metrics.GateDecision(!promoted ? "refused" : passes ? "promoted" : "forced");
        logger.LogInformation("Promotion of {Version}: {Promoted} ({Reason})", version, promoted, decision.Reason);
        return decision;
    }

    /// <summary>
    /// Whether the gate's report lets the candidate replace <paramref name="current"/>. The report must compare with
    /// the production model of now: a report against an earlier one says nothing about the model users get today.
    /// </summary>
    private static (bool Passes, string Text) Judge(GateReport? gate, ProductionModel? current)
    {
        if (current is null)
        {
            return (true, "there was no production model");
        }

        if (gate is null)
        {
            return (false, $"not evaluated against production {current.Version} on the gate set");
        }

        if (gate.ProductionVersion != current.Version)
        {
            return (false, $"the gate compared it with {gate.ProductionVersion}, but production is now {current.Version}: evaluate it again");
        }

        return (gate.Passed, gate.Summary);
    }

    public async Task<PromotionDecision> RollbackAsync(string reason)
    {
        var current = state.State.Production;
        if (current is null || state.State.Replaced.Count == 0)
        {
            // A refusal the caller can show (409), not an exception: nothing changes and nothing is recorded.
            return new PromotionDecision(current?.Version ?? string.Empty, Promoted: false, current?.Version, Forced: false,
                "There is no earlier production version to roll back to.", time.GetUtcNow());
        }

        var previous = state.State.Replaced[^1];
        var info = await GetInfoAsync(previous);
        var now = time.GetUtcNow();
        var decision = new PromotionDecision(previous, Promoted: true, current.Version, Forced: true, $"rollback: {reason}", now);
        state.State.Replaced.RemoveAt(state.State.Replaced.Count - 1);
        state.State.Production = new ProductionModel(previous, info.Directory, now);
        state.State.History.Add(decision);
        await state.WriteStateAsync();
        metrics.GateDecision("rollback");
        logger.LogInformation("Rolled production back from {Current} to {Previous} ({Reason})", current.Version, previous, reason);
        return decision;
    }

    public Task<IReadOnlyList<PromotionDecision>> GetHistoryAsync() =>
        Task.FromResult<IReadOnlyList<PromotionDecision>>(Enumerable.Reverse(state.State.History).ToList());

    private async Task<ModelVersionInfo> GetInfoAsync(string version) =>
        await GrainFactory.GetGrain<IModelVersionGrain>(version).GetAsync()
        ?? throw new InvalidOperationException($"Model version {version} is listed but has no description.");
}
