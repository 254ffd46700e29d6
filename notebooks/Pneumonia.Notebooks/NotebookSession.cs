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

    /// <summary>
    /// plotly.js as a script element, shown once by a notebook's first cell so that every chart after it renders
    /// offline (it is 3.6 MB: committed notebooks are saved after clearing it, see notebooks/README.md).
    /// </summary>
    public static HtmlView PlotlyScript() =>
        new($"<script type=\"text/javascript\">{ChartRendererHost.Instance.PlotlyJavaScript}</script><p><em>plotly.js loaded.</em></p>");

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        await _host.StopAsync();
        _host.Dispose();
    }
}
