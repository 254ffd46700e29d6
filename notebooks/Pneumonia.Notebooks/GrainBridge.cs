using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Pneumonia.Notebooks;

/// <summary>
/// Grain references for the notebook side. The Orleans client runs in its own load context (lib/cluster/, see
/// Pneumonia.Notebooks.Cluster); a grain here is a proxy of the contract interface whose calls travel to it as
/// JSON and come back as the contract's own records, so cells use the grain interfaces unchanged.
/// </summary>
public sealed class GrainBridge : IAsyncDisposable
{
    private const string BridgeAssembly = "Pneumonia.Notebooks.Cluster";
    private const string BridgeType = "Pneumonia.Notebooks.Cluster.ClusterBridge";
    private static readonly Lazy<IsolatedLoadContext> Context = new(() => IsolatedLoadContext.Beside("cluster"));
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    private readonly string _connectionId;
    private readonly Func<string, string, string, string, string, Task<string>> _invoke;
    private readonly Func<string, Task> _disconnect;

    private GrainBridge(string connectionId)
    {
        _connectionId = connectionId;
        _invoke = Context.Value.Method<Func<string, string, string, string, string, Task<string>>>(BridgeAssembly, BridgeType, "InvokeAsync");
        _disconnect = Context.Value.Method<Func<string, Task>>(BridgeAssembly, BridgeType, "DisconnectAsync");
    }

    /// <summary>Connects an Orleans client to the cluster <paramref name="options"/> name.</summary>
    public static async Task<GrainBridge> ConnectAsync(NotebookOptions options)
    {
        var connect = Context.Value.Method<Func<string, Task<string>>>(BridgeAssembly, BridgeType, "ConnectAsync");
        var connection = JsonSerializer.Serialize(new { options.Gateways, options.GatewayPort, options.ClusterId, options.ServiceId }, Json);
        return new GrainBridge(await connect(connection));
    }

    /// <summary>A grain with a string key.</summary>
    public T GetGrain<T>(string key) where T : class => GrainProxy.Create<T>(this, key);

    /// <summary>A grain with an integer key.</summary>
    public T GetGrain<T>(long key) where T : class => GrainProxy.Create<T>(this, key.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public async ValueTask DisposeAsync() => await _disconnect(_connectionId);

    internal Task<string> InvokeAsync(Type grainInterface, string key, MethodInfo method, object?[] arguments)
    {
        var json = new JsonArray([.. method.GetParameters().Select((p, i) => JsonSerializer.SerializeToNode(arguments[i], p.ParameterType, Json))]);
        return _invoke(_connectionId, grainInterface.FullName!, key, method.Name, json.ToJsonString());
    }

    internal static async Task<T> DeserializeAsync<T>(Task<string> json) => JsonSerializer.Deserialize<T>(await json, Json)!;
}

/// <summary>The contract interface <c>T</c>, each call forwarded through a <see cref="GrainBridge"/>.</summary>
public class GrainProxy : DispatchProxy
{
    private static readonly MethodInfo Deserialize = typeof(GrainBridge).GetMethod(nameof(GrainBridge.DeserializeAsync), BindingFlags.NonPublic | BindingFlags.Static)!;

    private GrainBridge? _bridge;
    private Type? _interface;
    private string? _key;

    internal static T Create<T>(GrainBridge bridge, string key) where T : class
    {
        var proxy = Create<T, GrainProxy>();
        var state = (GrainProxy)(object)proxy;
        (state._bridge, state._interface, state._key) = (bridge, typeof(T), key);
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        var json = _bridge!.InvokeAsync(_interface!, _key!, targetMethod, args ?? []);
        return targetMethod.ReturnType.IsGenericType
            ? Deserialize.MakeGenericMethod(targetMethod.ReturnType.GetGenericArguments()[0]).Invoke(null, [json])
            : json;
    }
}
