using System.ComponentModel.DataAnnotations;
using System.Net;
using Microsoft.Extensions.Configuration;
using Pneumonia.Abstractions;

namespace Pneumonia.Silo.Hosting;

/// <summary>Settings of the embedded silo, bound from the configuration section <see cref="SectionName"/>.</summary>
public sealed class PneumoniaSiloOptions : IValidatableObject
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

    /// <summary>Port for silo-to-silo traffic (on <see cref="AdvertisedAddress"/> with Redis clustering, else loopback).</summary>
    [Range(1, 65535)]
    public int SiloPort { get; set; } = PneumoniaPorts.Silo;

    /// <summary>
    /// Port for external Orleans clients (API front ends). 0 opens no gateway: the silo then serves no clients, which
    /// suits a trainer, so that front ends never route requests through a silo busy training.
    /// </summary>
    [Range(0, 65535)]
    public int GatewayPort { get; set; } = PneumoniaPorts.Gateway;

    /// <summary>How silos find each other: one silo on loopback (the default), or a cluster whose membership is in Redis.</summary>
    [EnumDataType(typeof(SiloClustering))]
    public SiloClustering Clustering { get; set; } = SiloClustering.Localhost;

    /// <summary>
    /// The Redis server of <see cref="SiloClustering.Redis"/> clustering and <see cref="SiloPersistence.Redis"/>
    /// persistence, as a StackExchange.Redis configuration string (<c>host:port[,password=...]</c>).
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>
    /// Redis clustering: the IP address other silos and clients reach this silo at. A non-loopback address also makes
    /// the silo listen on every interface.
    /// </summary>
    [Required(AllowEmptyStrings = false)]
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Redis clustering: how long a silo waits for a probe answer before counting it missed. With
    /// <see cref="MissedProbesLimit"/> it bounds how long a dead silo keeps receiving requests (docs/DEPLOY.md).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "00:01:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Redis clustering: missed probes after which a silo suspects another one (Orleans' NumMissedProbesLimit).</summary>
    [Range(1, 10)]
    public int MissedProbesLimit { get; set; } = 2;

    /// <summary>
    /// How long a stopping silo (SIGTERM, Ctrl+C) may take to leave the cluster, deactivate its grains and finish the
    /// requests it holds; what is still running then is abandoned and the process exits.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Persistence=Redis: start even though the Redis server keeps neither an append-only file nor RDB snapshots
    /// (<c>CONFIG GET appendonly</c> / <c>save</c>), so that a Redis restart loses the whole registry, every job and
    /// upload record. Off by default: such a silo refuses to start. For tests and throw-away runs only.
    /// </summary>
    public bool AllowRedisWithoutPersistence { get; set; }

    /// <summary>Where grain state and reminders are persisted.</summary>
    [EnumDataType(typeof(SiloPersistence))]
    public SiloPersistence Persistence { get; set; } = SiloPersistence.File;

    /// <summary>
    /// Whether the silo collects dashboard data. The web app maps the pages (<c>MapOrleansDashboard</c>) only
    /// when this is on.
    /// </summary>
    public bool DashboardEnabled { get; set; } = true;

    /// <summary>
    /// Adds <see cref="PneumoniaPorts.OffsetSetting"/> to the ports the configuration leaves at their defaults
    /// (a port set explicitly is used as given).
    /// </summary>
    public void ApplyPortOffset(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var offset = configuration.GetValue<int>(PneumoniaPorts.OffsetSetting);
        var section = configuration.GetSection(SectionName);
        if (section[nameof(SiloPort)] is null)
        {
            SiloPort = PneumoniaPorts.Silo + offset;
        }

        if (section[nameof(GatewayPort)] is null)
        {
            GatewayPort = PneumoniaPorts.Gateway + offset;
        }
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var needsRedis = Clustering == SiloClustering.Redis || Persistence == SiloPersistence.Redis;
        if (needsRedis && string.IsNullOrWhiteSpace(Redis))
        {
            yield return new ValidationResult(
                "Pneumonia:Silo:Redis (host:port) is required with Clustering=Redis or Persistence=Redis.", [nameof(Redis)]);
        }

        if (Clustering == SiloClustering.Redis && Persistence == SiloPersistence.File)
        {
            // The file storage and reminder table assume one process owns them.
            yield return new ValidationResult(
                "Pneumonia:Silo:Persistence=File is for a single silo; a Redis cluster needs Persistence=Redis.", [nameof(Persistence)]);
        }

        if (Clustering == SiloClustering.Localhost && GatewayPort == 0)
        {
            yield return new ValidationResult(
                "Pneumonia:Silo:GatewayPort=0 (no gateway) needs Clustering=Redis: a localhost silo is reached through its gateway.", [nameof(GatewayPort)]);
        }

        if (!IPAddress.TryParse(AdvertisedAddress, out _))
        {
            yield return new ValidationResult(
                $"Pneumonia:Silo:AdvertisedAddress '{AdvertisedAddress}' is not an IP address.", [nameof(AdvertisedAddress)]);
        }
    }
}

/// <summary>How silos (and clients) find the cluster's members.</summary>
public enum SiloClustering
{
    /// <summary>One silo on loopback; needs no server. The single-machine default.</summary>
    Localhost,

    /// <summary>Orleans' Redis membership table (Microsoft.Orleans.Clustering.Redis): any number of silos.</summary>
    Redis,
}

/// <summary>Where the silo persists grain state and reminders.</summary>
public enum SiloPersistence
{
    /// <summary>Files under <see cref="PneumoniaSiloOptions.DataDirectory"/>; survives restarts. One silo only.</summary>
    File,

    /// <summary>Orleans' in-memory storage and reminders: lost on stop. For tests and throw-away runs.</summary>
    Memory,

    /// <summary>Orleans' Redis grain storage and reminder table, shared by every silo of the cluster.</summary>
    Redis,
}
