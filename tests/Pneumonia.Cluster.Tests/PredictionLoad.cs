using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// Concurrent clients posting one image to <c>/predict</c> in a loop, as a load generator would, recording every
/// answer that is not 200 (and every request that threw) until stopped.
/// </summary>
public sealed class PredictionLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private int _completed;

    public PredictionLoad(HttpClient client, byte[] image, int workers)
    {
        _workers = [.. Enumerable.Range(0, workers).Select(_ => Task.Run(() => RunAsync(client, image)))];
    }

    public int Completed => Volatile.Read(ref _completed);

    /// <summary>Failed requests: the HTTP status (or the exception) and the problem's detail.</summary>
    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>Waits until <paramref name="more"/> further requests have completed.</summary>
    public Task WaitForMoreAsync(int more, int timeoutSeconds = 60)
    {
        var target = Completed + more;
        return Wait.UntilAsync(() => Completed >= target, TimeSpan.FromSeconds(timeoutSeconds), $"{more} more predictions under load");
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    private async Task RunAsync(HttpClient client, byte[] image)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var content = new ByteArrayContent(image);
                content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                using var form = new MultipartFormDataContent { { content, "file", "x.jpeg" } };
                // Not cancelled by the stop: a request in flight is always finished and counted.
                using var response = await client.PostAsync("/predict", form, CancellationToken.None);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Failures.Enqueue($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
            catch (HttpRequestException ex)
            {
                Failures.Enqueue(ex.Message);
            }

            Interlocked.Increment(ref _completed);
        }
    }
}
