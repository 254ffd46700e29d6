namespace Pneumonia.Reliability.Tests.Infrastructure;

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
}
