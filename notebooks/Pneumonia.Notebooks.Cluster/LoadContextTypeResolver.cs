using System.Collections.Concurrent;
using System.Runtime.Loader;
using Orleans.Serialization.TypeSystem;

namespace Pneumonia.Notebooks.Cluster;

/// <summary>
/// Resolves the type names in Orleans messages within this load context first. The host process (a file-based
/// app, a notebook kernel) has its own copy of Pneumonia.Abstractions; Orleans' default resolver searches every
/// loaded assembly and may pick that copy, for which this client has no codecs.
/// </summary>
internal sealed class LoadContextTypeResolver : TypeResolver
{
    private static readonly AssemblyLoadContext Context = AssemblyLoadContext.GetLoadContext(typeof(LoadContextTypeResolver).Assembly)!;
    private readonly CachedTypeResolver _fallback = new();
    private readonly ConcurrentDictionary<string, Type?> _cache = new(StringComparer.Ordinal);

    public override Type ResolveType(string name) =>
        TryResolveType(name, out var type) ? type : throw new TypeLoadException($"Could not resolve type '{name}'.");

    public override bool TryResolveType(string name, out Type type)
    {
        type = _cache.GetOrAdd(name, n => Type.GetType(n, assembly => Context.LoadFromAssemblyName(assembly), typeResolver: null, throwOnError: false))!;
        return type is not null || _fallback.TryResolveType(name, out type);
    }
}
