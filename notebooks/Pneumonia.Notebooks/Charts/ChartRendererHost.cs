using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using Pneumonia.Notebooks.Charts;

namespace Pneumonia.Notebooks.Rendering;

/// <summary>
/// Runs Plotly.NET in its own AssemblyLoadContext, loaded from the <c>charts/</c> folder beside this assembly.
/// Plotly.NET 6 needs FSharp.Core 10.1 while the Polyglot Notebooks kernel (and dotnet-repl) load FSharp.Core 10.0
/// into the default context first; a context of our own resolves FSharp.Core, Plotly.NET and the renderer from
/// charts/ so the kernel's copy is never asked. Only strings cross the boundary.
/// </summary>
public sealed class ChartRendererHost
{
    private static readonly Lazy<ChartRendererHost> Shared = new(() => new ChartRendererHost(DefaultFolder()));

    private readonly Func<string, string> _renderFigureJson;
    private readonly Lazy<string> _plotlyJavaScript;

    private ChartRendererHost(string folder)
    {
        var context = new RendererLoadContext(folder);
        var assembly = context.LoadFromAssemblyPath(Path.Combine(folder, "Pneumonia.Notebooks.Charts.dll"));
        var renderer = assembly.GetType(typeof(ChartRenderer).FullName!, throwOnError: true)!;
        _renderFigureJson = Method<Func<string, string>>(renderer, nameof(ChartRenderer.RenderFigureJson));
        var javaScript = Method<Func<string>>(renderer, nameof(ChartRenderer.PlotlyJavaScript));
        _plotlyJavaScript = new Lazy<string>(javaScript);
    }

    /// <summary>The renderer beside this assembly, created on first use.</summary>
    public static ChartRendererHost Instance => Shared.Value;

    /// <summary>plotly.js (about 3.6 MB), for pages and notebooks that must render offline.</summary>
    public string PlotlyJavaScript => _plotlyJavaScript.Value;

    /// <summary>The Plotly figure JSON of <paramref name="spec"/>, built by Plotly.NET.</summary>
    public string RenderFigureJson(ChartSpec spec) =>
        _renderFigureJson(JsonSerializer.Serialize(spec, ChartSpec.JsonOptions));

    private static T Method<T>(Type type, string name) where T : Delegate =>
        (type.GetMethod(name, BindingFlags.Public | BindingFlags.Static)
            ?? throw new MissingMethodException(type.FullName, name)).CreateDelegate<T>();

    private static string DefaultFolder()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "charts");
        var beside = Path.Combine(Path.GetDirectoryName(typeof(ChartRendererHost).Assembly.Location)!, "charts");
        return Directory.Exists(beside) ? beside : folder;
    }

    /// <summary>Everything in the folder is loaded here; the rest (the BCL) comes from the default context.</summary>
    private sealed class RendererLoadContext(string folder) : AssemblyLoadContext("Pneumonia.Notebooks.Charts", isCollectible: false)
    {
        protected override Assembly? Load(AssemblyName assemblyName)
        {
            var path = Path.Combine(folder, assemblyName.Name + ".dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
