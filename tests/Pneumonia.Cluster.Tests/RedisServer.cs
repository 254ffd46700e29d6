using System.Diagnostics;
using StackExchange.Redis;

namespace Pneumonia.Cluster.Tests;

/// <summary>
/// The real Redis the cluster tests run against: <c>PNEUMONIA_TEST_REDIS</c> (host:port, what CI sets) when set, else
/// a private <c>redis-server</c> started on a free loopback port and stopped on dispose. Fails, never skips, when
/// neither is available: a configured server that does not answer is an error, not a reason to test less.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const string Variable = "PNEUMONIA_TEST_REDIS";
    private readonly Process? _process;

    private RedisServer(string configuration, Process? process)
    {
        Configuration = configuration;
        _process = process;
    }

    /// <summary>The StackExchange.Redis configuration string (host:port).</summary>
    public string Configuration { get; }

    public static async Task<RedisServer> StartAsync()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured)
        {
            await PingAsync(configured, $"{Variable}={configured}");
            return new RedisServer(configured, null);
        }

        return await StartPrivateAsync("--save", "", "--appendonly", "no");
    }

    /// <summary>A private <c>redis-server</c> on a free loopback port with these extra arguments, whatever <c>PNEUMONIA_TEST_REDIS</c> says.</summary>
    public static async Task<RedisServer> StartPrivateAsync(params string[] arguments)
    {
        var port = FreePorts.Next();
        Process process;
        try
        {
            process = Process.Start(new ProcessStartInfo("redis-server",
                ["--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", .. arguments])
            {
                RedirectStandardOutput = true,
                UseShellExecute = false,
            })!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"The cluster tests need Redis: install redis-server (apt-get install redis-server) or set {Variable}=host:port.", ex);
        }

        var server = new RedisServer($"127.0.0.1:{port}", process);
        try
        {
            // Connect once it listens: a multiplexer that finds nothing there backs off for seconds before it retries.
            await Wait.UntilAsync(() => IsListening(port), TimeSpan.FromSeconds(10), $"redis-server to listen on port {port}", pollMilliseconds: 20);
            await PingAsync(server.Configuration, $"the redis-server started on port {port}");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }

    private static bool IsListening(int port)
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static async Task PingAsync(string configuration, string what)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        while (true)
        {
            try
            {
                await connection.GetDatabase().PingAsync();
                return;
            }
            catch (RedisException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            catch (RedisException ex)
            {
                throw new InvalidOperationException($"Redis at {what} does not answer.", ex);
            }
        }
    }
}
