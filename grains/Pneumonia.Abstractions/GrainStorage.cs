namespace Pneumonia.Abstractions;

/// <summary>
/// The grain storage every Pneumonia grain persists to: the grains name it in <c>[PersistentState]</c>, the hosts
/// (co-hosted, standalone silo, tests) register a provider under it. Declared here, in the contract both see, so that
/// there is one constant and the grains need not depend on a host.
/// </summary>
public static class GrainStorage
{
    public const string Name = "pneumonia";
}
