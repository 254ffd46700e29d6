using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Pneumonia.Reliability.Tests.Infrastructure;

namespace Pneumonia.Reliability.Tests;

/// <summary>
/// Hardening, round two (issue 15), against the real process on Kestrel: body limits applied while reading, spools
/// only inside the data directory and within their quota, start-up refusals, and check-store on a live server's
/// directory. Each case failed before its fix.
/// </summary>
[Collection(ProcessTests.Name)]
public sealed class LimitProcessTests
{
    private const long MaxImageBytes = 1 << 20;
    private const long MaxRequestBytes = 8 << 20;

    [Fact]
    public async Task Bodies_are_cut_off_at_their_limit_and_spooled_only_in_the_data_directory_within_the_quota()
    {
        using var root = new TempDirectory();
        var systemTemp = Directory.CreateDirectory(root.Combine("system-temp")).FullName;
        var home = Directory.CreateDirectory(root.Combine("home")).FullName;
        await using var api = await ApiProcess.StartAsync(root.Path,
            new Dictionary<string, string>
            {
                ["Pneumonia:Images:MaxFileBytes"] = MaxImageBytes.ToString(CultureInfo.InvariantCulture),
                ["Pneumonia:Api:MaxRequestBytes"] = MaxRequestBytes.ToString(CultureInfo.InvariantCulture),
                ["Pneumonia:Api:MaxSpoolBytes"] = MaxRequestBytes.ToString(CultureInfo.InvariantCulture),
            },
            new Dictionary<string, string> { ["ASPNETCORE_TEMP"] = systemTemp, ["TMPDIR"] = systemTemp, ["HOME"] = home });

        // 1. A stranger's chunked /predict of 64 MB (no length declared): cut off at the endpoint's limit.
        using var anonymous = new HttpClient { BaseAddress = api.Client.BaseAddress };
        var endless = new GeneratedUpload("file", 64L << 20);
        var (status, text) = await PostAsync(anonymous, "/predict", endless);
        var limit = MaxImageBytes + 64 * 1024;
        // What the client could push before the server stopped reading: the limit plus socket buffers, far from 64 MB.
        Assert.True(endless.Sent < limit + (8 << 20), $"{endless.Sent:N0} bytes were read");
        if (status is not null)
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
            Assert.Contains($"{limit:N0}", text, StringComparison.Ordinal);
        }

        // 2. An upload waits in <data>/spool, never in the system temp directory; two together may not exceed the quota.
        var spool = Path.Combine(root.Path, "data", "spool");
        var held = new GeneratedUpload("files", 6L << 20, holdAtEnd: true);
        var first = PostAsync(api.Client, "/upload", held);
        await Wait.UntilAsync(() => Task.FromResult(SpooledBytes(spool) >= 5L << 20), TimeSpan.FromSeconds(60), "the first upload to be spooled");
        Assert.Empty(Directory.EnumerateFiles(systemTemp, "ASPNETCORE_*"));
        var second = new GeneratedUpload("files", 6L << 20);
        var (secondStatus, secondText) = await PostAsync(api.Client, "/upload", second);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, secondStatus);
        Assert.Contains("MaxSpoolBytes", secondText, StringComparison.Ordinal);
        held.Release();
        var (firstStatus, _) = await first;
        Assert.NotNull(firstStatus);
        Assert.InRange((int)firstStatus!.Value, 400, 499);
        await Wait.UntilAsync(() => Task.FromResult(SpooledBytes(spool) == 0), TimeSpan.FromSeconds(30), "the spool to be emptied");
        Assert.Empty(Directory.EnumerateFiles(systemTemp, "ASPNETCORE_*"));
        Assert.False(Directory.Exists(Path.Combine(home, ".aspnet")), "something was written to $HOME/.aspnet");
        Assert.Equal(HttpStatusCode.OK, (await api.Client.PredictAsync()).Status);
        ReliabilityLog.Record(Areas.Refusals, "a stranger's chunked 64 MB POST /predict (1 MB image limit); two 6 MB uploads at once against an 8 MB spool quota", 3,
            $"/predict stopped reading after {endless.Sent / (1 << 20)} MB ({(status is null ? "connection closed" : $"{(int)status} naming the {limit:N0}-byte limit")}); "
            + "the first upload spooled in <data>/spool, the second refused with 503 naming MaxSpoolBytes; nothing in the system temp directory or $HOME/.aspnet; the spool empty afterwards");
    }

    [Theory]
    [InlineData("16 spaces", "                ", "http://127.0.0.1:0", "whitespace")]
    [InlineData("aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaa", "http://127.0.0.1:0", "distinct characters")]
    [InlineData("0123456789abcdef", "0123456789abcdef", "http://127.0.0.1:0", "runs")]
    [InlineData("no key on 0.0.0.0", "", "http://0.0.0.0:0", "beyond loopback")]
    public async Task A_refusal_to_start_is_one_line_and_exit_code_2(string name, string key, string urls, string says)
    {
        using var root = new TempDirectory();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = ApiProcess.ApiDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(ApiProcess.ApiDirectory, "Pneumonia.Api.dll"));
        foreach (var setting in new[]
        {
            $"--urls={urls}", $"--Pneumonia:Api:ApiKey={key}", $"--Pneumonia:Data:DataDirectory={root.Combine("data")}",
            $"--Pneumonia:Silo:DataDirectory={root.Combine("state")}", "--Pneumonia:Data:BaseDatasetPath=",
            $"--Pneumonia:Silo:SiloPort={ReliabilityApiFactory.FreePort()}", $"--Pneumonia:Silo:GatewayPort={ReliabilityApiFactory.FreePort()}",
        })
        {
            start.ArgumentList.Add(setting);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var lines = (await output + await error).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, process.ExitCode);
        var line = Assert.Single(lines);
        Assert.StartsWith("Refusing to start", line, StringComparison.Ordinal);
        Assert.Contains(says, line, StringComparison.Ordinal);
        Assert.DoesNotContain(".cs:line", line, StringComparison.Ordinal);
        if (key.Trim().Length > 0)
        {
            Assert.DoesNotContain(key, line, StringComparison.Ordinal);
        }

        ReliabilityLog.Record(Areas.Access, $"start-up with {(key.Length == 0 ? "no API key while listening on 0.0.0.0" : $"the API key '{name}'")}", 1,
            $"exit code 2 and one line on standard error (\"...{says}...\"), no stack trace, the key not repeated");
    }

    [Fact]
    public async Task Check_store_refuses_a_servers_data_directory_and_moves_nothing()
    {
        using var root = new TempDirectory();
        await using var api = await ApiProcess.StartAsync(root.Path);
        using (var form = Files.Form("files", [.. Files.Xrays("val", 2).Select(i => (i.Name, i.Bytes))], "NORMAL"))
        {
            Assert.Equal(HttpStatusCode.OK, (await api.Client.PostAsync("/upload", form)).StatusCode);
        }

        var data = Path.Combine(root.Path, "data");
        var before = Files.Snapshot(Path.Combine(data, "images"));
        Assert.NotEmpty(before);
        foreach (var arguments in new[] { new[] { "check-store", "--data", data }, ["check-store", "--data", data, "--repair"] })
        {
            var (code, output) = await Cli.RunAsync(arguments);
            Assert.Equal(2, code);
            Assert.Contains("will not check or repair", output, StringComparison.Ordinal);
            Assert.Contains("grain state", output, StringComparison.Ordinal);
        }

        Assert.Equal(before, Files.Snapshot(Path.Combine(data, "images")));
        Assert.False(Directory.Exists(Path.Combine(data, "quarantine")));
        Assert.Equal(HttpStatusCode.OK, (await api.Client.PredictAsync()).Status);
        ReliabilityLog.Record(Areas.Integrity, "pneumonia check-store (and --repair) on a live server's data directory", 2,
            $"exit 2 with a message saying the directory is catalogued by the server's grain state; all {before.Count} images left in place, no quarantine");
    }

    // The runtime's own diagnostics sockets live in the temp directory too; ASP.NET Core's form spools are named ASPNETCORE_*.tmp.
    private static long SpooledBytes(string spool) =>
        Directory.Exists(spool) ? Directory.EnumerateFiles(spool).Sum(f => new FileInfo(f).Length) : 0;

    private static async Task<(HttpStatusCode? Status, string Text)> PostAsync(HttpClient client, string path, GeneratedUpload content)
    {
        try
        {
            using var response = await client.PostAsync(path, content);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException ex)
        {
            // The server answered and closed the connection while the body was still being sent.
            return (null, ex.Message);
        }
    }

    /// <summary>A multipart body with one file of <c>size</c> zero bytes, written as it is read (chunked), counting what was sent.</summary>
    private sealed class GeneratedUpload : HttpContent
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly string _field;
        private readonly long _size;
        private readonly bool _holdAtEnd;
        private long _sent;

        public GeneratedUpload(string field, long size, bool holdAtEnd = false)
        {
            (_field, _size, _holdAtEnd) = (field, size, holdAtEnd);
            Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b");
        }

        public long Sent => Interlocked.Read(ref _sent);

        public void Release() => _release.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await WriteAsync(stream, Encoding.ASCII.GetBytes($"--b\r\nContent-Disposition: form-data; name=\"{_field}\"; filename=\"zeros.jpeg\"\r\n\r\n"));
            var chunk = new byte[64 * 1024];
            for (long written = 0; written < _size; written += chunk.Length)
            {
                await WriteAsync(stream, chunk.AsMemory(0, (int)Math.Min(chunk.Length, _size - written)));
            }

            if (_holdAtEnd)
            {
                await stream.FlushAsync();
                await _release.Task;
            }

            await WriteAsync(stream, "\r\n--b--\r\n"u8.ToArray());
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        private async Task WriteAsync(Stream stream, ReadOnlyMemory<byte> bytes)
        {
            await stream.WriteAsync(bytes);
            Interlocked.Add(ref _sent, bytes.Length);
        }
    }
}
