using System.Reflection;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Grains.Tests;

/// <summary>
/// The shared vocabulary depends on nothing, the ML core on no Orleans or ASP.NET, the contracts on no TorchSharp: the
/// rules that let the ML core and the contracts share one type for each fact.
/// </summary>
public sealed class DependencyRuleTests
{
    [Fact]
    public void The_vocabulary_references_only_the_framework() =>
        Assert.All(References(typeof(ModelCard).Assembly), name => Assert.True(name is "System.Runtime" or "netstandard" || name.StartsWith("System.", StringComparison.Ordinal), name));

    [Fact]
    public void The_ml_core_references_no_orleans_or_asp_net() =>
        Assert.DoesNotContain(References(typeof(ModelPackage).Assembly), name => name.StartsWith("Orleans", StringComparison.Ordinal) || name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));

    [Fact]
    public void The_contracts_reference_no_torch_and_no_ml_core() =>
        Assert.DoesNotContain(References(typeof(IModelRegistryGrain).Assembly), name => name.StartsWith("TorchSharp", StringComparison.Ordinal) || name == "Pneumonia.Ml");

    private static List<string> References(Assembly assembly) => [.. assembly.GetReferencedAssemblies().Select(name => name.Name!)];
}
