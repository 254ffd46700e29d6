using System.ComponentModel.DataAnnotations;

namespace Pneumonia.Grains.Placement;

/// <summary>
/// What a silo is for. Each silo publishes its roles as Orleans silo metadata (<see cref="MetadataKey"/>); grains
/// marked with <see cref="SiloRolePlacementFilterAttribute"/> are placed only on silos that have the role.
/// </summary>
public static class SiloRoles
{
    /// <summary>The silo metadata key whose value is the comma-separated role list.</summary>
    public const string MetadataKey = "pneumonia.roles";

    /// <summary>Runs training jobs (TorchSharp training threads).</summary>
    public const string Trainer = "trainer";

    /// <summary>Serves predictions (holds the production model in memory).</summary>
    public const string Predictor = "predictor";

    /// <summary>Every role: the single-silo default.</summary>
    public const string All = Trainer + "," + Predictor;

    private static readonly string[] Known = [Trainer, Predictor];

    /// <summary>The roles in a comma-separated list, trimmed and lower-case; unknown names are returned by <see cref="Unknown"/>.</summary>
    public static IReadOnlySet<string> Parse(string? roles) =>
        (roles ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(role => role.ToLowerInvariant())
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>The names in <paramref name="roles"/> that are no role.</summary>
    public static IEnumerable<string> Unknown(string? roles) => Parse(roles).Where(role => !Known.Contains(role));
}

/// <summary>The roles of this silo; bound from <see cref="SectionName"/> (the silo's section) and validated at start-up.</summary>
public sealed class SiloRoleOptions : IValidatableObject
{
    public const string SectionName = "Pneumonia:Silo";

    /// <summary>
    /// Comma-separated: <c>trainer</c> (training jobs run here), <c>predictor</c> (predictions run here). The default
    /// single silo has both. A cluster needs at least one silo with each role.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string Roles { get; set; } = SiloRoles.All;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SiloRoles.Parse(Roles).Count == 0)
        {
            yield return new ValidationResult($"{SectionName}:Roles names no role; use {SiloRoles.All} or one of them.", [nameof(Roles)]);
        }

        foreach (var unknown in SiloRoles.Unknown(Roles))
        {
            yield return new ValidationResult(
                $"{SectionName}:Roles has '{unknown}', which is no role (known: {SiloRoles.All}).", [nameof(Roles)]);
        }
    }
}
