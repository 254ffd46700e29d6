using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Serialization.TypeSystem;
using Pneumonia.Abstractions;

namespace Pneumonia.Notebooks.Cluster;

/// <summary>What the notebook side sends to connect (NotebookOptions' cluster part).</summary>
public sealed record ClusterConnection(IReadOnlyList<string> Gateways, int GatewayPort, string ClusterId, string ServiceId);

/// <summary>
/// Grain calls by name with JSON arguments and results, for a caller in another AssemblyLoadContext (the notebook
/// kernel). Its public methods take and return strings and tasks only.
/// </summary>
public static class ClusterBridge
{
    private static readonly ConcurrentDictionary<string, IHost> Connections = new();
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    /// <summary>Starts an Orleans client for a <see cref="ClusterConnection"/> (JSON); returns its id.</summary>
    public static async Task<string> ConnectAsync(string connectionJson)
    {
        var connection = JsonSerializer.Deserialize<ClusterConnection>(connectionJson, Json)
            ?? throw new ArgumentException("Empty connection.", nameof(connectionJson));
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddFilter(level => level >= LogLevel.Error);
        builder.UseOrleansClient(client =>
        {
            // Named explicitly: Orleans' own scan looks at the entry assembly's dependencies and at this context's
            // loaded assemblies, and the contracts may not be loaded here yet (the host's copy is another context's).
            client.Services.AddSerializer(serializer => serializer.AddAssembly(typeof(IDatasetGrain).Assembly));
            client.Services.AddSingleton<TypeResolver, LoadContextTypeResolver>();
            client.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = connection.ClusterId;
                cluster.ServiceId = connection.ServiceId;
            });
            if (connection.Gateways.Count > 0)
            {
                client.UseStaticClustering([.. connection.Gateways.Select(IPEndPoint.Parse)]);
            }
            else
            {
                client.UseLocalhostClustering(connection.GatewayPort, connection.ServiceId, connection.ClusterId);
            }
        });
        var host = builder.Build();
        await host.StartAsync();
        var id = Guid.NewGuid().ToString("N");
        Connections[id] = host;
        return id;
    }

    /// <summary>
    /// Calls <paramref name="method"/> of the grain interface named <paramref name="grainInterface"/> (a type of
    /// Pneumonia.Abstractions) with key <paramref name="key"/>; <paramref name="argumentsJson"/> is a JSON array.
    /// Returns the awaited result as JSON ("null" for a plain Task).
    /// </summary>
    public static async Task<string> InvokeAsync(string connectionId, string grainInterface, string key, string method, string argumentsJson)
    {
        var grains = Connections[connectionId].Services.GetRequiredService<IClusterClient>();
        var type = typeof(IDatasetGrain).Assembly.GetType(grainInterface, throwOnError: true)!;
        var grain = typeof(IGrainWithIntegerKey).IsAssignableFrom(type)
            ? grains.GetGrain(type, long.Parse(key, System.Globalization.CultureInfo.InvariantCulture))
            : grains.GetGrain(type, key);
        var arguments = JsonNode.Parse(argumentsJson)?.AsArray() ?? [];
        var target = type.GetMethods().Concat(type.GetInterfaces().SelectMany(i => i.GetMethods()))
            .Single(m => m.Name == method && m.GetParameters().Length == arguments.Count);
        var values = target.GetParameters().Select((p, i) => arguments[i].Deserialize(p.ParameterType, Json)).ToArray();
        var task = (Task)target.Invoke(grain, values)!;
        await task;
        var result = target.ReturnType.IsGenericType ? target.ReturnType.GetProperty(nameof(Task<int>.Result))!.GetValue(task) : null;
        return result is null ? "null" : JsonSerializer.Serialize(result, target.ReturnType.GetGenericArguments()[0], Json);
    }

    public static async Task DisconnectAsync(string connectionId)
    {
        if (Connections.TryRemove(connectionId, out var host))
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

}
