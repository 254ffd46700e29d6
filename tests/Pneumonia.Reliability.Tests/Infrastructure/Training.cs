using System.Net;
using System.Text.Json;

namespace Pneumonia.Reliability.Tests.Infrastructure;

/// <summary>Uploads a small labelled training set and drives retrains through the REST API.</summary>
public static class Training
{
    /// <summary>20 + 20 real training images as a zip with label folders.</summary>
    public static async Task UploadTrainingSetAsync(HttpClient client)
    {
        using var form = Files.Form("files", [("training.zip", Files.LabelledZip(Files.Xrays("train", 20, skip: 40)))]);
        using var response = await client.PostAsync("/upload", form);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>Starts a retrain and returns its job id.</summary>
    public static async Task<string> StartAsync(HttpClient client, string query)
    {
        using var started = await client.PostAsync($"/retrain?{query}", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        return (await started.JsonAsync()).GetProperty("job_id").GetString()!;
    }

    public static Task<JsonElement> WaitForEndAsync(HttpClient client, string jobId) => Jobs.WaitForEndAsync(client, jobId);

    /// <summary>A second model version made by a 1-epoch retrain; returns its version.</summary>
    public static async Task<string> NewVersionAsync(HttpClient client)
    {
        var job = await WaitForEndAsync(client, await StartAsync(client, "epochs=1&batch_size=8&fine_tune=false"));
        Assert.Equal("completed", job.GetProperty("status").GetString());
        return job.GetProperty("result_version").GetString()!;
    }

    public static async Task<string> ProductionAsync(HttpClient client) =>
        (await client.GetJsonAsync("/models")).GetProperty("production").GetString()!;
}
