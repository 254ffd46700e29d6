using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Persistence;
using Orleans.Serialization;
using Orleans.Storage;
using StackExchange.Redis;
using Pneumonia.Abstractions;

namespace Pneumonia.Silo.Hosting;

/// <summary>
/// The multi-silo wiring: Orleans' own Redis providers for membership, grain state and reminders, with membership
/// timings short enough that a dead silo stops receiving requests within seconds.
/// </summary>
internal static class RedisClusterExtensions
{
    /// <summary>Redis membership, this silo's endpoints on <see cref="PneumoniaSiloOptions.AdvertisedAddress"/>, and the probe timings.</summary>
    public static ISiloBuilder UseRedisClusterMembership(this ISiloBuilder silo, PneumoniaSiloOptions options)
    {
        var advertised = IPAddress.Parse(options.AdvertisedAddress);
        silo.UseRedisClustering(redis => redis.ConfigurationOptions = ConfigurationOptions.Parse(options.Redis!))
            .Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = options.ClusterId;
                cluster.ServiceId = options.ServiceId;
            })
            .ConfigureEndpoints(advertised, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised))
            .Configure<ClusterMembershipOptions>(membership =>
            {
                // A dead silo is suspected after MissedProbesLimit probes of ProbeTimeout each and declared dead once
                // enough silos voted; until then calls routed to it fail. Orleans' defaults (5 s x 3) make that
                // window about 15 s; the shorter defaults here trade it against false suspicions of a busy silo.
                membership.ProbeTimeout = options.ProbeTimeout;
                membership.NumMissedProbesLimit = options.MissedProbesLimit;
                // A silo that died without saying so is removed from the table once it stops writing I-am-alive.
                membership.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
            });
        return silo;
    }

    /// <summary>Redis grain storage (also the default storage) and the Redis reminder table, shared by every silo.</summary>
    public static ISiloBuilder UseRedisPersistence(this ISiloBuilder silo, string redis)
    {
        var configuration = ConfigurationOptions.Parse(redis);
        // The Orleans serializer, as for the file storage: state types are [GenerateSerializer] types whose schema
        // is their [Id] numbers (positional records, private setters), which it reads back version-tolerantly.
        void Configure(OptionsBuilder<RedisStorageOptions> storage) => storage.Configure<Serializer>((o, serializer) =>
        {
            o.ConfigurationOptions = configuration;
            o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
        });

        silo.AddRedisGrainStorage(GrainStorage.Name, Configure)
            .AddRedisGrainStorageAsDefault(Configure)
            .UseRedisReminderService(reminders => reminders.ConfigurationOptions = configuration);
        return silo;
    }
}
