using System.Net;
using System.Net.ServerSentEvents;
using System.Text.Json;

namespace Pneumonia.Api.Tests;

/// <summary>
/// <c>GET /jobs/{id}/events</c>: the job's state pushed as Server-Sent Events while it runs, ending with one 'end'
/// event. The job is made to last (50 epochs) and is stopped once progress has moved, so no timing is assumed.
/// </summary>
public sealed class TrainingEventsTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    private readonly HttpClient _client = factory.CreateAuthorizedClient();

    [Fact]
    public async Task Events_push_progress_while_the_job_runs_then_end_with_its_final_state()
    {
        var entries = TestFiles.Images("train", "NORMAL", 76).Skip(60).Select(i => ("NORMAL/" + i.Name, i.Bytes))
            .Concat(TestFiles.Images("train", "PNEUMONIA", 76).Skip(60).Select(i => ("PNEUMONIA/" + i.Name, i.Bytes)))
            .ToArray();
        using (var upload = await _client.PostAsync("/upload", TestFiles.Form("files", [("set.zip", TestFiles.Zip(entries))])))
        {
            Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        }

        using var started = await _client.PostAsync("/retrain?epochs=50&batch_size=4&fine_tune=true", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var jobId = (await started.JsonAsync()).GetProperty("job_id").GetString()!;

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var response = await _client.GetAsync($"/jobs/{jobId}/events", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
        var events = new List<(string Type, JsonElement Job)>();
        var stopped = false;
        await foreach (var item in SseParser.Create(stream).EnumerateAsync(timeout.Token))
        {
            events.Add((item.EventType, JsonDocument.Parse(item.Data).RootElement.Clone()));
            var progress = events.Where(e => e.Type == "progress").Select(e => e.Job.GetProperty("progress").GetDouble()).Distinct().Count();
            if (!stopped && progress >= 2)
            {
                // Progress has moved while we listened: now end the job; the stream must follow it to its end.
                Assert.Equal(HttpStatusCode.OK, (await _client.PostAsync("/stop-retrain", null)).StatusCode);
                stopped = true;
            }
        }

        Assert.True(stopped, $"the stream ended before progress moved: {string.Join(", ", events.Select(e => e.Type))}");
        Assert.All(events.SkipLast(1), e => Assert.Equal("progress", e.Type));
        Assert.All(events.SkipLast(1), e => Assert.True(e.Job.GetProperty("running").GetBoolean()));
        var (type, last) = events[^1];
        Assert.Equal("end", type);
        Assert.Equal(("cancelled", jobId), (last.GetProperty("status").GetString(), last.GetProperty("job_id").GetString()));
        // Consecutive events differ: an event is sent when the job changed, not on every tick.
        Assert.All(events.Zip(events.Skip(1)), pair => Assert.NotEqual(pair.First.Job.GetRawText(), pair.Second.Job.GetRawText()));
        // The end event is the job as GET /jobs/{id} shows it.
        var job = await (await _client.GetAsync($"/jobs/{jobId}")).JsonAsync();
        Assert.Equal(job.GetRawText(), last.GetRawText());
    }

    [Fact]
    public async Task An_unknown_or_invalid_job_is_a_404_naming_it()
    {
        using var unknown = await _client.GetAsync("/jobs/no-such-job/events");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("no-such-job", (await unknown.JsonAsync()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        using var invalid = await _client.GetAsync("/jobs/bad%20id!/events");
        Assert.Equal(HttpStatusCode.NotFound, invalid.StatusCode);
    }
}
