using System.Net.Http.Json;
using System.Text.Json;

namespace Pneumonia.Testing;

/// <summary>
/// Follows a training job until it reaches a state: the one polling loop of every test project, over the REST API
/// (<see cref="WaitForEndAsync"/>) or any other read (<see cref="PollAsync{T}"/>, e.g. a grain call). The timeout
/// only stops a test that would otherwise hang; it asserts nothing about speed.
/// </summary>
public static class Jobs
{
    /// <summary>Long enough for any test's retrain on a loaded CI machine.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>
    /// Reads the job with <paramref name="read"/> until <paramref name="reached"/> holds; returns every state read,
    /// the last one satisfying it. Fails with the last state seen after <paramref name="timeout"/> (<see cref="Timeout"/>).
    /// </summary>
    public static async Task<IReadOnlyList<T>> PollAsync<T>(Func<Task<T>> read, Func<T, bool> reached, string what, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(reached);
        var limit = timeout ?? Timeout;
        var deadline = DateTime.UtcNow + limit;
        var seen = new List<T>();
        while (true)
        {
            var state = await read();
            seen.Add(state);
            if (reached(state))
            {
                return seen;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} not reached after {limit}; last seen: {state}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Polls <c>GET /jobs/{id}</c> until the job is no longer running (or <paramref name="until"/> holds) and returns
    /// that body.
    /// </summary>
    public static async Task<JsonElement> WaitForEndAsync(HttpClient client, string jobId, Func<JsonElement, bool>? until = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        until ??= job => !job.GetProperty("running").GetBoolean();
        var seen = await PollAsync(
            async () => await client.GetFromJsonAsync<JsonElement>($"jobs/{Uri.EscapeDataString(jobId)}"),
            until, $"job {jobId}", timeout);
        return seen[^1];
    }
}
