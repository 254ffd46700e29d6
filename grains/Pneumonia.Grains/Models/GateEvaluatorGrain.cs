using Pneumonia.Abstractions;
using Pneumonia.Grains.Placement;

namespace Pneumonia.Grains.Models;

/// <summary>
/// Evaluates one candidate version against the current production model on the current gate set, for promotions a
/// person asks for (<c>POST /select-model</c>); a retrain evaluates its own model on its training thread. The grain
/// gathers names and the gate set in its turn; the inference runs on a thread of its own, so the turn is suspended,
/// not blocked. Placed on trainer silos, which are provisioned for such work.
/// </summary>
[SiloRolePlacementFilter(SiloRoles.Trainer)]
public sealed class GateEvaluatorGrain(GateEvaluator evaluator) : Grain, IGateEvaluatorGrain
{
    public async Task<GateReport?> EvaluateAsync()
    {
        var version = this.GetPrimaryKeyString();
        var registry = GrainFactory.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default);
        if (await registry.GetProductionAsync() is not { } production)
        {
            return null;
        }

        var candidate = await GrainFactory.GetGrain<IModelVersionGrain>(version).GetAsync()
            ?? throw new ArgumentException($"Model version {version} is not registered.");
        var gate = await GrainFactory.GetGrain<IDatasetGrain>(WellKnownKeys.Default).ReadGateSetAsync();
        // TaskScheduler.Default explicitly: from a grain, the current scheduler is the activation's own.
        return await Task.Factory.StartNew(
            () => evaluator.Evaluate(new ModelOnDisk(version, candidate.Directory), new ModelOnDisk(production.Version, production.Directory), gate),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
    }
}
