using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
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
    private readonly IHost _host;

    private NotebookSession(IHost host, NotebookOptions options)
    {
        _host = host;
        Options = options;
        Grains = host.Services.GetRequiredService<IClusterClient>();
        Api = string.IsNullOrWhiteSpace(options.ApiUrl) ? null : new PneumoniaApiClient(new Uri(options.ApiUrl), options.ApiKey);
    }

    public NotebookOptions Options { get; }

    /// <summary>The cluster, for grain calls.</summary>
    public IGrainFactory Grains { get; }

    /// <summary>The REST API, or null when no API URL is configured.</summary>
    public PneumoniaApiClient? Api { get; }

    public IDatasetGrain Dataset => Grains.GetGrain<IDatasetGrain>(WellKnownKeys.Default);

    public IModelRegistryGrain Registry => Grains.GetGrain<IModelRegistryGrain>(WellKnownKeys.Default);

    public ITrainingCoordinatorGrain Training => Grains.GetGrain<ITrainingCoordinatorGrain>(WellKnownKeys.Default);

    public IPredictionGrain Prediction => Grains.GetGrain<IPredictionGrain>(0);

    /// <summary>Connects to the cluster named by configuration (environment variables and <paramref name="args"/>).</summary>
    public static async Task<NotebookSession> ConnectAsync(string[]? args = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddEnvironmentVariables().AddCommandLine(args ?? []);
        builder.Logging.AddFilter(level => level >= LogLevel.Error);
        builder.Services.AddOptions<NotebookOptions>().BindConfiguration(NotebookOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = builder.Configuration.GetSection(NotebookOptions.Section).Get<NotebookOptions>() ?? new NotebookOptions();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = options.ClusterId;
                cluster.ServiceId = options.ServiceId;
            });
            if (options.Gateways.Count > 0)
            {
                client.UseStaticClustering([.. options.Gateways.Select(IPEndPoint.Parse)]);
            }
            else
            {
                client.UseLocalhostClustering(options.GatewayPort, options.ServiceId, options.ClusterId);
            }
        });
        var host = builder.Build();
        await host.StartAsync();
        return new NotebookSession(host, host.Services.GetRequiredService<IOptions<NotebookOptions>>().Value);
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
        await _host.StopAsync();
        _host.Dispose();
    }
}
