using System.Net;

namespace Pneumonia.Testing;

/// <summary>Polls a condition (a progress endpoint, a file) instead of sleeping for a guessed time.</summary>
public static class Wait
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, int pollMilliseconds = 50)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // The server is still starting.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}.");
            }

            await Task.Delay(pollMilliseconds);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, int pollMilliseconds = 50) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what, pollMilliseconds);

    /// <summary>Waits until the server behind <paramref name="client"/> answers <c>GET /health</c> with 200.</summary>
    public static Task UntilHealthyAsync(HttpClient client, string what = "the API to become healthy", int timeoutSeconds = 60) =>
        UntilAsync(async () =>
        {
            using var response = await client.GetAsync("/health");
            return response.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(timeoutSeconds), what, pollMilliseconds: 100);
}
