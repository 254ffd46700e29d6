using System.Collections.Immutable;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Ml.Architectures;

/// <summary>
/// The network architectures this process can build, by the name model cards record: the one place a card's
/// <see cref="ModelArchitecture"/> becomes a network, for new training runs, saved models and served copies alike.
/// </summary>
/// <remarks>
/// A process-wide table, as <see cref="System.Text.Encoding.RegisterProvider"/> is: a model package names its
/// architecture, and every loader in the process (grains, CLI, notebooks, tests) must resolve that name the same way,
/// through static entry points such as <see cref="ModelPackage.LoadNetwork"/>. It only grows, each name once, and
/// holds code, not settings. Architectures that ship go in <see cref="s_builtIn"/>; <see cref="Register"/> adds one
/// from outside this assembly (a test, a plug-in) at start-up.
/// </remarks>
public static class NetworkArchitectures
{
    /// <summary>What <see cref="ModelArchitecture.Pretrained"/> says of a network whose initial weights were random.</summary>
    public const string RandomInitialisation = "random";

    private static readonly INetworkArchitecture[] s_builtIn = [ResNet18Architecture.Instance, ResNet18Architecture.StandardDepth];

    private static ImmutableDictionary<string, INetworkArchitecture> s_known =
        s_builtIn.ToImmutableDictionary(a => a.Name, StringComparer.Ordinal);

    /// <summary>What new models are built from unless a caller names another (the CLI's <c>train</c>).</summary>
    public static INetworkArchitecture Default => ResNet18Architecture.Instance;

    /// <summary>The names this process knows, in ordinal order.</summary>
    public static IReadOnlyList<string> Names => [.. s_known.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Adds an architecture; registering the same instance again does nothing.</summary>
    /// <exception cref="InvalidOperationException">Another architecture already has that name.</exception>
    public static void Register(INetworkArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        ArgumentException.ThrowIfNullOrWhiteSpace(architecture.Name, nameof(architecture));
        var known = ImmutableInterlocked.GetOrAdd(ref s_known, architecture.Name, architecture);
        if (!ReferenceEquals(known, architecture))
            throw new InvalidOperationException($"a different architecture ({known.GetType().Name}) is already registered as '{architecture.Name}'");
    }

    /// <summary>The architecture called <paramref name="name"/>.</summary>
    /// <exception cref="NotSupportedException">No architecture has that name; the message lists the known ones.</exception>
    public static INetworkArchitecture Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return s_known.TryGetValue(name, out var architecture)
            ? architecture
            : throw new NotSupportedException($"unknown architecture '{name}'; this build knows {string.Join(", ", Names.Select(n => $"'{n}'"))}");
    }

    /// <summary>
    /// Builds the network <paramref name="architecture"/> describes. With <paramref name="loadPretrainedWeights"/>
    /// the pretrained weights are loaded when the description names some; otherwise the weights are random (to be
    /// trained, or overwritten by a saved model's).
    /// </summary>
    /// <exception cref="NotSupportedException">The description names an architecture this process does not know.</exception>
    public static PneumoniaNetwork Create(ModelArchitecture architecture, bool loadPretrainedWeights)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        var family = Get(architecture.Name);
        var network = family.Build(architecture);
        try
        {
            if (loadPretrainedWeights && architecture.Pretrained != RandomInitialisation)
                family.LoadPretrainedWeights(network, architecture);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }
}
