using System.Net;
using Pneumonia.Reliability.Tests.Infrastructure;

namespace Pneumonia.Reliability.Tests;

/// <summary>
/// kill -9 of the whole API process during an upload, at three moments found by watching the files the upload
/// writes (image files, image-grain state, batch state), then a restart on the same directory and a client retry.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class UploadCrashTests
{
    private const int ImagesPerLabel = 60;

    public static TheoryData<string> Moments => ["storing image files", "registering images", "recording the batch"];

    [Theory]
    [MemberData(nameof(Moments))]
    public async Task Kill_during_an_upload_leaves_no_half_written_image_and_a_retry_stores_each_image_once(string moment)
    {
        using var root = new TempDirectory();
        var images = Root(root, "data", "images");
        var state = Root(root, "state");
        var baseline = Files.Xrays("val", 4);
        var upload = Files.Xrays("train", ImagesPerLabel, skip: 100);
        var zip = Files.LabelledZip(upload);
        var distinct = baseline.Concat(upload).Select(i => Files.Sha256(i.Bytes)).ToHashSet();
        Func<bool> reached = moment switch
        {
            "storing image files" => () => Files.Store(images).Images.Count > baseline.Count,
            "registering images" => () => Files.StateFiles(state, "image") > baseline.Count,
            _ => () => Files.StateFiles(state, "batch") > 1,
        };

        Dictionary<string, string> before;
        bool killedInTime;
        await using (var api = await ApiProcess.StartAsync(root.Path))
        {
            using (var form = Files.Form("files", [.. baseline.Select(i => (i.Name, i.Bytes))], "NORMAL"))
            {
                Assert.Equal(HttpStatusCode.OK, (await api.Client.PostAsync("/upload", form)).StatusCode);
            }

            before = Files.Snapshot(images);
            using var content = Files.Form("files", [("xrays.zip", zip)]);
            var request = api.Client.PostAsync("/upload", content);
            await Wait.UntilAsync(() => reached() || request.IsCompleted, TimeSpan.FromSeconds(60), moment, pollMilliseconds: 1);
            killedInTime = !request.IsCompleted;
            await api.KillAsync();
        }

        var (_, badAfterCrash, _) = Files.Store(images);
        Assert.Empty(badAfterCrash);
        await using (var api = await ApiProcess.StartAsync(root.Path))
        {
            // Nothing already stored changed.
            var afterRestart = Files.Snapshot(images);
            Assert.All(before, file => Assert.Equal(file.Value, afterRestart[file.Key]));

            using var retry = Files.Form("files", [("xrays.zip", zip)]);
            using var response = await api.Client.PostAsync("/upload", retry);
            var json = await response.JsonAsync();
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(upload.Count, json.GetProperty("accepted").GetInt32() + json.GetProperty("duplicates").GetInt32());

            // Every image is in the dataset and the store exactly once, and each stored file is whole.
            var stats = await api.Client.GetJsonAsync("/dataset/stats");
            Assert.Equal(distinct.Count, stats.GetProperty("total_images").GetInt32());
            var (stored, bad, _) = Files.Store(images);
            Assert.Empty(bad);
            Assert.Equal(distinct.Order(), stored.Order());
            Assert.Equal(HttpStatusCode.OK, (await api.Client.PredictAsync()).Status);
        }

        ReliabilityLog.Record(Areas.Crashes, $"kill -9 while {moment} ({upload.Count}-image zip), restart, client retry",
            inputs: 1,
            outcome: (killedInTime ? "killed at that moment" : "the upload finished before the kill") +
                $"; after restart every stored file hashes to its name, the retry returned 200, the dataset and the store hold each of the {distinct.Count} images exactly once, predictions answer");
    }

    private static string Root(TempDirectory root, params string[] parts) => root.Combine(parts);
}

/// <summary>Tests that start the API as a separate process run one at a time (they share two cores).</summary>
[CollectionDefinition(Name)]
public sealed class ProcessTests
{
    public const string Name = "API processes";
}
