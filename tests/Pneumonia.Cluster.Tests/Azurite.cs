using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// The Azure Blob Storage emulator the object-store tests run against: npm's <c>azurite-blob</c> on a free loopback
/// port, in memory, stopped on dispose. Fails, never skips, when it is not installed (<c>.ci/run</c> installs it).
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    // Azurite's documented development account (a public, fixed key: not a secret).
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;

    private Azurite(Process process, int port)
    {
        _process = process;
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
    }

    public string ConnectionString { get; }

    public static async Task<Azurite> StartAsync()
    {
        var port = FreePorts.Next();
        var start = new ProcessStartInfo("azurite-blob")
        {
            WorkingDirectory = Path.GetTempPath(), // nothing is written with --inMemoryPersistence; never the repository, if it were
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            "--blobHost", "127.0.0.1", "--blobPort", port.ToString(CultureInfo.InvariantCulture),
            "--inMemoryPersistence", "--silent", "--loose", "--skipApiVersionCheck",
        })
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("The object-store tests need Azurite: npm install -g azurite.", ex);
        }

        var azurite = new Azurite(process, port);
        await Wait.UntilAsync(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"azurite-blob exited with {process.ExitCode}: {await process.StandardError.ReadToEndAsync()}");
            }

            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync("127.0.0.1", port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "azurite-blob to listen", pollMilliseconds: 100);
        return azurite;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
