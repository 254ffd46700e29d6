using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Pneumonia.Silo.Hosting;

/// <summary>How a Redis server keeps its data across a restart, as <c>CONFIG GET appendonly</c> and <c>save</c> report it.</summary>
/// <param name="AppendOnly">The append-only file is on (<c>appendonly yes</c>).</param>
/// <param name="SaveRules">The RDB snapshot rules (<c>save</c>), empty when snapshots are off.</param>
public sealed record RedisPersistence(bool AppendOnly, string SaveRules)
{
    /// <summary>Whether a restart of the server keeps (most of) its data.</summary>
    public bool Persistent => AppendOnly || !string.IsNullOrWhiteSpace(SaveRules);

    /// <summary>Asks the server; null when it does not say (CONFIG disabled or renamed, as some managed services do).</summary>
    public static async Task<RedisPersistence?> ReadAsync(string configuration, CancellationToken cancellationToken)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AllowAdmin = true; // CONFIG is an admin command for StackExchange.Redis
        await using var connection = await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(cancellationToken);
        try
        {
            var server = connection.GetServer(connection.GetEndPoints()[0]);
            var appendOnly = await server.ConfigGetAsync("appendonly").WaitAsync(cancellationToken);
            var save = await server.ConfigGetAsync("save").WaitAsync(cancellationToken);
            if (appendOnly.Length == 0 || save.Length == 0)
            {
                return null;
            }

            return new RedisPersistence(string.Equals(appendOnly[0].Value, "yes", StringComparison.OrdinalIgnoreCase), save[0].Value ?? "");
        }
        catch (RedisServerException)
        {
            return null;
        }
    }
}

/// <summary>
/// Runs before the silo starts (it is registered before Orleans' hosted service) and refuses a Redis that keeps all
/// cluster state in memory only: a Redis restart would silently take production back to the bundled model and drop
/// every job and upload record, while their files stay on disk. <see cref="PneumoniaSiloOptions.AllowRedisWithoutPersistence"/>
/// turns the refusal into a warning.
/// </summary>
internal sealed partial class RedisPersistenceCheck(IOptions<PneumoniaSiloOptions> options, ILogger<RedisPersistenceCheck> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var silo = options.Value;
        if (silo.Persistence != SiloPersistence.Redis)
        {
            return;
        }

        var persistence = await RedisPersistence.ReadAsync(silo.Redis!, cancellationToken);
        if (persistence is null)
        {
            LogUnknown(logger);
        }
        else if (!persistence.Persistent)
        {
            if (!silo.AllowRedisWithoutPersistence)
            {
                throw new InvalidOperationException(
                    "The Redis server keeps the cluster's state in memory only (appendonly no, save \"\"): a Redis restart would lose " +
                    "the model registry, every job and upload record. Turn on its append-only file (appendonly yes, appendfsync everysec; " +
                    "docs/DEPLOY.md), or set Pneumonia:Silo:AllowRedisWithoutPersistence=true for a throw-away cluster.");
            }

            LogVolatile(logger);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "Could not read the Redis server's persistence settings (CONFIG GET is not allowed): make sure it keeps an append-only file, or a Redis restart loses the cluster's state")]
    private static partial void LogUnknown(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message =
        "THE REDIS SERVER HAS NO PERSISTENCE (appendonly no, save \"\"): a Redis restart loses the model registry, every job and upload record. Allowed by Pneumonia:Silo:AllowRedisWithoutPersistence; never use this in production")]
    private static partial void LogVolatile(ILogger logger);
}
