using Microsoft.Extensions.Options;
using Orleans.Metadata;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;

namespace Pneumonia.Grains.Placement;

/// <summary>
/// Places the grain class only on silos whose <see cref="SiloRoles.MetadataKey"/> metadata lists <paramref name="role"/>.
/// An Orleans placement filter: it narrows the candidate silos before the grain's placement strategy (random,
/// or local-first for a stateless worker) picks one, so the grains themselves contain no role checks.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloRolePlacementFilterAttribute(string role)
    : PlacementFilterAttribute(new SiloRolePlacementFilterStrategy(role))
{
    /// <summary>The role a silo needs to host the grain.</summary>
    public string Role { get; } = role;
}

/// <summary>The filter's settings as Orleans carries them in the grain type's properties.</summary>
public sealed class SiloRolePlacementFilterStrategy : PlacementFilterStrategy
{
    private const string RoleProperty = "role";

    /// <summary>Used by Orleans, which then calls <see cref="PlacementFilterStrategy.Initialize"/> with the grain's properties.</summary>
    public SiloRolePlacementFilterStrategy()
        : this("")
    {
    }

    public SiloRolePlacementFilterStrategy(string role)
        : base(order: 0) => Role = role;

    /// <summary>The role a silo needs.</summary>
    public string Role { get; private set; }

    public override void AdditionalInitialize(GrainProperties properties) =>
        Role = GetPlacementFilterGrainProperty(RoleProperty, properties) ?? "";

    protected override IEnumerable<KeyValuePair<string, string>> GetAdditionalGrainProperties(
        IServiceProvider services, Type grainClass, GrainType grainType, IReadOnlyDictionary<string, string> existingProperties)
    {
        yield return new KeyValuePair<string, string>(RoleProperty, Role);
    }
}

/// <summary>
/// Keeps the candidate silos that have the role. The local silo's roles come from its own options (known before
/// membership has exchanged any metadata); other silos' from Orleans' silo metadata cache. A silo whose metadata
/// is not known yet is left out, never assumed to have every role.
/// </summary>
internal sealed class SiloRolePlacementFilterDirector(
    ILocalSiloDetails localSilo,
    IOptions<SiloMetadata> localMetadata,
    ISiloMetadataCache metadataCache) : IPlacementFilterDirector
{
    public IEnumerable<SiloAddress> Filter(PlacementFilterStrategy filterStrategy, PlacementTarget target, IEnumerable<SiloAddress> silos)
    {
        var role = ((SiloRolePlacementFilterStrategy)filterStrategy).Role;
        return silos.Where(silo => SiloRoles.Parse(RolesOf(silo)).Contains(role));
    }

    private string? RolesOf(SiloAddress silo)
    {
        var metadata = silo.Equals(localSilo.SiloAddress) ? localMetadata.Value : metadataCache.GetSiloMetadata(silo);
        return metadata.Metadata.GetValueOrDefault(SiloRoles.MetadataKey);
    }
}
