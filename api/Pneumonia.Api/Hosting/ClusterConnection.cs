namespace Pneumonia.Api.Hosting;

/// <summary>
/// Client mode: connects the Orleans client in the background, so a front end starts (and answers) before any silo
/// does, and keeps trying until a gateway appears. Orleans' own hosted service would block the host's start until
/// it found a gateway, and give up after a few tries. While not connected, requests get a 503 saying so
/// (<see cref="GateAsync"/>); the API docs stay available.
/// </summary>
internal sealed partial class ClusterConnection(IReadOnlyList<IHostedService> orleansServices, ILogger<ClusterConnection> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _connecting = Task.CompletedTask;
    private volatile bool _connected;

    public bool IsConnected => _connected;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _connecting = Task.Run(() => ConnectAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _connecting.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        if (_connected)
        {
            foreach (var service in orleansServices.Reverse())
            {
                await service.StopAsync(cancellationToken);
            }
        }
    }

    public void Dispose() => _stopping.Dispose();

    /// <summary>The middleware: 503 while the client has not connected (except for the API docs).</summary>
    public async Task GateAsync(HttpContext context, RequestDelegate next)
    {
        if (_connected || context.Request.Path.StartsWithSegments("/docs") || context.Request.Path.StartsWithSegments("/openapi"))
        {
            await next(context);
            return;
        }

        await TypedResults.Problem(
            "This front end has not reached the grain cluster yet: no silo gateway is registered (or reachable) in the cluster's membership. " +
            "It keeps trying and serves requests as soon as a predictor silo is up; try again shortly.",
            statusCode: StatusCodes.Status503ServiceUnavailable, title: "Service unavailable").ExecuteAsync(context);
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        try
        {
            // The connection retry filter (ApiHostingExtensions) retries until a gateway answers or this stops.
            foreach (var service in orleansServices)
            {
                await service.StartAsync(cancellationToken);
            }

            _connected = true;
            LogConnected(logger);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to the grain cluster")]
    private static partial void LogConnected(ILogger logger);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The Orleans client could not start; this front end answers 503 until it is restarted")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
