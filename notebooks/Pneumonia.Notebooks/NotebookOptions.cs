using System.ComponentModel.DataAnnotations;
using Pneumonia.Abstractions;

namespace Pneumonia.Notebooks;

/// <summary>
/// Where the notebooks find the cluster and the REST API, from configuration section <c>Pneumonia:Notebooks</c>
/// (environment variables such as <c>Pneumonia__Notebooks__GatewayPort=30000</c>). The defaults are a local silo
/// (<c>silo/Pneumonia.Silo.Host</c> or the API's co-hosted silo) and the API on its default port. Relative folders
/// are resolved against the repository root (the folder holding PneumoniaOrleans.sln), wherever the kernel runs.
/// </summary>
public sealed class NotebookOptions
{
    public const string Section = "Pneumonia:Notebooks";

    /// <summary>The cluster's gateways as <c>ip:port</c>; empty means localhost clustering on <see cref="GatewayPort"/>.</summary>
    public IList<string> Gateways { get; set; } = [];

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = PneumoniaPorts.Gateway;

    [Required]
    public string ClusterId { get; set; } = "pneumonia";

    [Required]
    public string ServiceId { get; set; } = "pneumonia";

    /// <summary>The REST API, for the parts that go through it (uploads, predictions over HTTP, sample images); empty skips them with a message.</summary>
    public string? ApiUrl { get; set; } = $"http://localhost:{PneumoniaPorts.Api}";

    /// <summary>Sent as <c>X-API-Key</c> to endpoints that change data.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Where the file-based apps write their HTML pages.</summary>
    [Required]
    public string OutputDirectory { get; set; } = "notebook-output";

    /// <summary>Labelled images the Retraining notebook uploads: a folder with NORMAL/ and PNEUMONIA/ subfolders.</summary>
    public string? UploadImagesDirectory { get; set; } = "../shared/data/chest_xray/train";

    /// <summary>False leaves plotly.js out of the notebook (for committed outputs; charts then need a re-run to show).</summary>
    public bool EmbedPlotly { get; set; } = true;

    /// <summary>Images the Predict notebook classifies: a folder with NORMAL/ and PNEUMONIA/ subfolders.</summary>
    public string? SampleImagesDirectory { get; set; } = "../shared/data/chest_xray/test";
}
