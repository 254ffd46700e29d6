using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Pneumonia.Abstractions;
using Pneumonia.Notebooks.Rendering;

namespace Pneumonia.Notebooks;

/// <summary>
/// A notebook's (or file-based app's) connection: an Orleans client of the cluster and, when configured, the REST
/// API. Settings come from configuration (environment variables, see <see cref="NotebookOptions"/>), never from
/// the notebook itself.
/// </summary>
public sealed class NotebookSession : IAsyncDisposable
{
    private readonly GrainBridge _grains;

    private NotebookSession(GrainBridge grains, NotebookOptions options)
    {
        _grains = grains;
        Options = options;
        Api = string.IsNullOrWhiteSpace(options.ApiUrl) ? null : new PneumoniaApiClient(new Uri(options.ApiUrl), options.ApiKey);
    }

    public NotebookOptions Options { get; }

    /// <summary>The cluster, for grain calls (through the isolated Orleans client).</summary>
    public GrainBridge Grains => _grains;

    /// <summary>The REST API, or null when no API URL is configured.</summary>
    public PneumoniaApiClient? Api { get; }

    public IDatasetGrain Dataset => _grains.GetGrain<IDatasetGrain>(WellKnownKeys.Default);

    public IModelRegistryGrain Registry => _grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default);

    public ITrainingCoordinatorGrain Training => _grains.GetGrain<ITrainingCoordinatorGrain>(WellKnownKeys.Default);

    public IPredictionGrain Prediction => _grains.GetGrain<IPredictionGrain>(0);

    /// <summary>
    /// Connects to the cluster named by configuration: environment variables, then <paramref name="args"/>, then a
    /// notebook's parameters cell (<paramref name="parameters"/>, keys such as <c>Pneumonia:Notebooks:ApiUrl</c>; null
    /// values are left out). <see cref="PneumoniaPorts.OffsetSetting"/> moves the default gateway and API ports as it
    /// moves the servers'.
    /// </summary>
    public static async Task<NotebookSession> ConnectAsync(string[]? args = null, IReadOnlyDictionary<string, string?>? parameters = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddCommandLine(args ?? [])
            .AddInMemoryCollection((parameters ?? new Dictionary<string, string?>()).Where(p => p.Value is not null))
            .Build();
        var options = configuration.GetSection(NotebookOptions.Section).Get<NotebookOptions>() ?? new NotebookOptions();
        var offset = configuration.GetValue<int>(PneumoniaPorts.OffsetSetting);
        var section = configuration.GetSection(NotebookOptions.Section);
        if (section[nameof(NotebookOptions.GatewayPort)] is null)
        {
            options.GatewayPort = PneumoniaPorts.Gateway + offset;
        }

        if (section[nameof(NotebookOptions.ApiUrl)] is null)
        {
            options.ApiUrl = $"http://localhost:{PneumoniaPorts.Api + offset}";
        }

        KernelFormatters.Register();
        // Not a host, so no ValidateOnStart: the same data-annotation check, before anything connects.
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        return new NotebookSession(await GrainBridge.ConnectAsync(options), options);
    }

    /// <summary>The first <paramref name="perLabel"/> images per label of <see cref="NotebookOptions.SampleImagesDirectory"/>.</summary>
    public IReadOnlyList<string> SampleImages(int perLabel) => Views.PredictionViews.PickImages(Resolve(Options.SampleImagesDirectory, "SampleImagesDirectory"), perLabel);

    /// <summary>The first <paramref name="perLabel"/> images per label of <see cref="NotebookOptions.UploadImagesDirectory"/>.</summary>
    public IReadOnlyList<string> UploadImages(int perLabel) => Views.PredictionViews.PickImages(Resolve(Options.UploadImagesDirectory, "UploadImagesDirectory"), perLabel);

    /// <summary>The REST API, or an error that says how to configure it.</summary>
    public PneumoniaApiClient RequireApi() =>
        Api ?? throw new InvalidOperationException($"No REST API configured: set {NotebookOptions.Section}:ApiUrl (environment variable Pneumonia__Notebooks__ApiUrl).");

    /// <summary>
    /// plotly.js as a script element, shown once by a notebook's first cell so that every chart after it renders
    /// offline (it is 3.6 MB: committed notebooks are saved after clearing it, see notebooks/README.md).
    /// </summary>
    public HtmlView PlotlyScript() => !Options.EmbedPlotly
        ? HtmlView.Message("plotly.js not embedded in this saved copy: run the notebook to see the charts.")
        : new($"<script type=\"text/javascript\">{ChartRendererHost.Instance.PlotlyJavaScript}</script><p><em>plotly.js loaded.</em></p>");

    /// <summary>A configured folder, relative ones taken from the repository root (else the working directory).</summary>
    public static string Resolve(string? folder, string name)
    {
        if (string.IsNullOrWhiteSpace(folder))
        {
            throw new InvalidOperationException($"Set {NotebookOptions.Section}:{name}.");
        }

        if (Path.IsPathRooted(folder))
        {
            return folder;
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PneumoniaOrleans.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, folder));
            }
        }

        return Path.GetFullPath(folder);
    }

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        await _grains.DisposeAsync();
    }
}
