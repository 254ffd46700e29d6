using System.ComponentModel.DataAnnotations;
using System.Net;
using Pneumonia.Api.Security;
using Pneumonia.Silo.Hosting;

namespace Pneumonia.Api.Hosting;

/// <summary>Settings of the HTTP front end, bound from <see cref="SectionName"/> and validated at start-up.</summary>
public sealed class PneumoniaApiOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Pneumonia:Api";

    private const long Megabyte = 1024 * 1024;

    /// <summary>
    /// The key mutating endpoints require in the <c>X-API-Key</c> header. Without one they are open, which is only
    /// allowed while the server listens on loopback addresses alone. Keep it in user secrets or the environment
    /// (<c>Pneumonia__Api__ApiKey</c>), never in a committed file.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Largest image (a loose file or an archive entry), in bytes: not set in this section but taken from
    /// <c>Pneumonia:Images:MaxFileBytes</c>, the decoder's limit in this process and in the silos (default 20 MB).
    /// </summary>
    [Range(1, long.MaxValue, ErrorMessage = "Pneumonia:Images:MaxFileBytes must be between {1} and {2} bytes.")]
    public long MaxImageBytes { get; set; } = 20 * Megabyte;

    /// <summary>Largest request body, in bytes (Kestrel and multipart limits). Default 500 MB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBytes { get; set; } = 500 * Megabyte;

    /// <summary>
    /// Most bytes the uploads in progress may spool together in <c>&lt;data directory&gt;/spool</c> (each request's
    /// files wait there while they are checked). An upload that would go over it is refused with 503. Default 2 GB.
    /// </summary>
    [Range(1, long.MaxValue)]
    public long MaxSpoolBytes { get; set; } = 2048 * Megabyte;

    /// <summary>Most entries one .zip archive may hold; an archive with more is rejected unread.</summary>
    [Range(1, 1_000_000)]
    public int MaxZipEntries { get; set; } = 10_000;

    /// <summary>Most bytes the archives of one request may expand to, counted as they are read. Default 2 GB.</summary>
    [Range(1, long.MaxValue)]
    public long MaxZipUncompressedBytes { get; set; } = 2048 * Megabyte;

    /// <summary>Most images one <c>POST /predict/batch</c> may carry.</summary>
    [Range(1, 1_000)]
    public int MaxBatchFiles { get; set; } = 64;

    /// <summary>Whether this process hosts the silo itself or is a client of a separate cluster.</summary>
    [EnumDataType(typeof(ApiHostingMode))]
    public ApiHostingMode Mode { get; set; } = ApiHostingMode.CoHosted;

    /// <summary>
    /// Client mode: how the gateways are found. <see cref="SiloClustering.Redis"/> reads them from the cluster's Redis
    /// membership table (<see cref="Redis"/>), so silos can come and go; <see cref="SiloClustering.Localhost"/> uses
    /// <see cref="Gateways"/> or the local silo.
    /// </summary>
    [EnumDataType(typeof(SiloClustering))]
    public SiloClustering Clustering { get; set; } = SiloClustering.Localhost;

    /// <summary>Client mode with Redis clustering: the silos' Redis server (<c>host:port[,password=...]</c>).</summary>
    public string? Redis { get; set; }

    /// <summary>
    /// Client mode: how long a grain call may take before it fails (Orleans' client response timeout). It also bounds
    /// how long a request waits that was in flight on a silo killed outright: the Orleans client (10.4) does not
    /// fail the calls it sent through a gateway whose connection broke, they end at this timeout (docs/DEPLOY.md).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan GrainCallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a prediction call (per 8 images for a batch) may go unanswered before the front end retries it on
    /// another prediction grain, after a short pause, at most three times; the last attempt waits up to <see cref="GrainCallTimeout"/>. Far above
    /// a prediction's p99 under load, so it only fires when the silo holding the call died.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan PredictionAttemptTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Client mode with Redis clustering: how often the front end reads the live gateways from the membership table.
    /// Predictions go to every live gateway in turn, so this bounds how long a predictor silo that joined (or came back)
    /// waits for its share of the traffic. Orleans' default is a minute.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Client mode, localhost clustering: the cluster's gateways as <c>ip:port</c>; empty means the local silo's gateway on <see cref="ClientGatewayPort"/>.</summary>
    public IList<string> Gateways { get; } = [];

    /// <summary>Client mode with no <see cref="Gateways"/>: the local silo's gateway port.</summary>
    [Range(1, 65535)]
    public int ClientGatewayPort { get; set; } = 30000;

    /// <summary>Client mode: the cluster id of the silos.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ClusterId { get; set; } = "pneumonia";

    /// <summary>Client mode: the service id of the silos.</summary>
    [Required(AllowEmptyStrings = false)]
    public string ServiceId { get; set; } = "pneumonia";

    /// <summary>
    /// The only server-side folder <c>POST /admin/import</c> reads from (relative paths are taken from the content
    /// root); import paths are relative to it and may not leave it. Null disables the endpoint.
    /// </summary>
    public string? ImportDirectory { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(ApiKey) && ApiKeyStrength.Weakness(ApiKey) is { } weakness)
        {
            yield return new ValidationResult(
                $"Pneumonia:Api:ApiKey is too weak: {weakness}. Use a random key such as the output of 'openssl rand -hex 32'.", [nameof(ApiKey)]);
        }

        foreach (var gateway in Gateways)
        {
            if (!IPEndPoint.TryParse(gateway, out var endpoint) || endpoint.Port == 0)
            {
                yield return new ValidationResult(
                    $"Pneumonia:Api:Gateways has '{gateway}', which is not an ip:port endpoint.", [nameof(Gateways)]);
            }
        }

        if (Mode == ApiHostingMode.Client && Clustering == SiloClustering.Redis && string.IsNullOrWhiteSpace(Redis))
        {
            yield return new ValidationResult("Pneumonia:Api:Redis (host:port) is required with Pneumonia:Api:Clustering=Redis.", [nameof(Redis)]);
        }

        if (MaxRequestBytes > MaxSpoolBytes)
        {
            yield return new ValidationResult(
                "Pneumonia:Api:MaxRequestBytes is larger than Pneumonia:Api:MaxSpoolBytes: the largest upload could never be spooled.", [nameof(MaxSpoolBytes)]);
        }

        if (MaxImageBytes > MaxRequestBytes)
        {
            yield return new ValidationResult(
                "Pneumonia:Images:MaxFileBytes is larger than Pneumonia:Api:MaxRequestBytes.", [nameof(MaxImageBytes)]);
        }
    }
}

/// <summary>How the API reaches the grains.</summary>
public enum ApiHostingMode
{
    /// <summary>The silo runs in this process: one command starts the whole system.</summary>
    CoHosted,

    /// <summary>An Orleans client of a separate cluster; Pneumonia:Data:DataDirectory must be the silos' (shared) data directory, where uploads are stored.</summary>
    Client,
}
