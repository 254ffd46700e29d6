using System.ComponentModel.DataAnnotations;

namespace Pneumonia.Silo.Hosting;

/// <summary>Settings of the embedded silo, bound from the configuration section <see cref="SectionName"/>.</summary>
public sealed class PneumoniaSiloOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Pneumonia:Silo";

    /// <summary>Where grain state and reminders are kept; a relative path is taken from the content root.</summary>
    [Required(AllowEmptyStrings = false)]
    public string DataDirectory { get; set; } = "data";

    /// <summary>The Orleans cluster id.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ClusterId { get; set; } = "pneumonia";

    /// <summary>The Orleans service id.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ServiceId { get; set; } = "pneumonia";

    /// <summary>Port for silo-to-silo traffic, on the loopback address.</summary>
    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port for external Orleans clients, on the loopback address.</summary>
    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Where grain state and reminders are persisted.</summary>
    [EnumDataType(typeof(SiloPersistence))]
    public SiloPersistence Persistence { get; set; } = SiloPersistence.File;

    /// <summary>
    /// Whether the silo collects dashboard data. The web app maps the pages (<c>MapOrleansDashboard</c>) only
    /// when this is on.
    /// </summary>
    public bool DashboardEnabled { get; set; } = true;
}

/// <summary>Where the silo persists grain state and reminders; multi-silo providers join this list later.</summary>
public enum SiloPersistence
{
    /// <summary>Files under <see cref="PneumoniaSiloOptions.DataDirectory"/>; survives restarts.</summary>
    File,

    /// <summary>Orleans' in-memory storage and reminders: lost on stop. For tests and throw-away runs.</summary>
    Memory,
}
