using System.Diagnostics;
using System.Net;
using Pneumonia.Reliability.Tests.Infrastructure;

namespace Pneumonia.Reliability.Tests;

/// <summary>A fact that needs to mount a tmpfs: skipped, with the reason in the test output, where that is not allowed.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> WhyNot = new(() =>
    {
        if (!OperatingSystem.IsLinux())
        {
            return "needs Linux to mount a tmpfs";
        }

        using var probe = new TempDirectory();
        var (code, output) = Tmpfs.Run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe.Path);
        if (code != 0)
        {
            return $"SKIPPED LOUDLY: cannot mount a tmpfs here (run as root to test a full disk): {output.Trim()}";
        }

        Tmpfs.Run("umount", probe.Path);
        return null;
    });

    public TmpfsFactAttribute()
    {
        Skip = WhyNot.Value;
    }
}

/// <summary>mount/umount of a small tmpfs.</summary>
public static class Tmpfs
{
    public static (int Code, string Output) Run(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }

    public static void Mount(string directory, long bytes)
    {
        Directory.CreateDirectory(directory);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={(bytes + 4095) / 4096 * 4}k", "tmpfs", directory);
        Assert.True(code == 0, $"mount failed: {output}");
    }

    public static void Resize(string directory, long bytes)
    {
        var (code, output) = Run("mount", "-o", $"remount,size={(bytes + 4095) / 4096 * 4}k", directory);
        Assert.True(code == 0, $"remount failed: {output}");
    }
}

/// <summary>The data directory (image store and model files) on a tmpfs that fills up during an upload.</summary>
public sealed class FullDiskTests
{
    [TmpfsFact]
    public async Task A_full_disk_during_an_upload_is_a_507_leaves_nothing_half_written_and_the_retry_works_once_space_returns()
    {
        var factory = new ReliabilityApiFactory();
        var modelBytes = Directory.GetFiles(ReliabilityApiFactory.BundledModelDirectory).Sum(f => new FileInfo(f).Length);
        Tmpfs.Mount(factory.DataDirectory, modelBytes + (600 << 10));
        factory.BeforeCleanup = () => Tmpfs.Run("umount", "-l", factory.DataDirectory);
        try
        {
            await factory.InitializeAsync();
            using var client = factory.CreateAuthorizedClient();
            var baseline = Files.Xrays("val", 2);
            using (var form = Files.Form("files", [.. baseline.Select(i => (i.Name, i.Bytes))], "NORMAL"))
            {
                Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/upload", form)).StatusCode);
            }

            var before = Files.Snapshot(factory.ImagesDirectory);
            var upload = Files.Xrays("test", 100, skip: 130);
            var zip = Files.LabelledZip(upload);
            Assert.True(zip.Length > 900_000, $"the upload ({zip.Length} bytes) must not fit");

            using (var form = Files.Form("files", [("big.zip", zip)]))
            using (var full = await client.PostAsync("/upload", form))
            {
                var body = await full.Content.ReadAsStringAsync();
                Assert.True(full.StatusCode == HttpStatusCode.InsufficientStorage,
                    $"{full.StatusCode}: {body}\n{string.Join('\n', factory.Logs.Lines.Where(l => l.Contains("Exception", StringComparison.Ordinal)).Take(3))}");
                Assert.DoesNotContain(factory.DataDirectory, body, StringComparison.Ordinal);
            }

            // Nothing half-written, nothing stored changed, the dataset did not move, the server answers.
            var (images, bad, temp) = Files.Store(factory.ImagesDirectory);
            Assert.Empty(bad);
            Assert.Empty(temp);
            Assert.All(before, file => Assert.Equal(file.Value, Files.Snapshot(factory.ImagesDirectory)[file.Key]));
            Assert.Equal(baseline.Count, (await client.GetJsonAsync("/dataset/stats")).GetProperty("total_images").GetInt32());
            Assert.Equal(HttpStatusCode.OK, (await client.PredictAsync()).Status);
            var storedWhenFull = images.Count;

            Tmpfs.Resize(factory.DataDirectory, 64L << 20);
            using (var form = Files.Form("files", [("big.zip", zip)]))
            using (var retry = await client.PostAsync("/upload", form))
            {
                Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            }

            var distinct = upload.Count + baseline.Count;
            Assert.Equal(distinct, (await client.GetJsonAsync("/dataset/stats")).GetProperty("total_images").GetInt32());
            var after = Files.Store(factory.ImagesDirectory);
            Assert.Equal(distinct, after.Images.Count);
            Assert.Empty(after.BadImages);
            ReliabilityLog.Record(Areas.Crashes, $"full disk during an upload ({upload.Count}-image zip, {zip.Length / 1024} KB, into a tmpfs with about 600 KB free)", inputs: 2,
                outcome: $"507 problem, no stack trace or path; {storedWhenFull - baseline.Count} complete images were left in the store without a dataset entry (each whole, under its hash; the retry catalogued them), no partial or temp file, "
                    + "the dataset unchanged, predictions answered; after the tmpfs grew the same upload returned 200 and every image is in the dataset and the store exactly once");
        }
        finally
        {
            await factory.DisposeAsync();
        }
    }
}
