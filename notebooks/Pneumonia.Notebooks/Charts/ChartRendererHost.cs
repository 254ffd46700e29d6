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
    private const string RendererType = "Pneumonia.Notebooks.Charts.ChartRenderer";
    private static readonly Lazy<ChartRendererHost> Shared = new(() => new ChartRendererHost());

    private readonly Func<string, string> _renderFigureJson;
    private readonly Lazy<string> _plotlyJavaScript;

    private ChartRendererHost()
    {
        var context = IsolatedLoadContext.Beside("charts");
        _renderFigureJson = context.Method<Func<string, string>>("Pneumonia.Notebooks.Charts", RendererType, "RenderFigureJson");
        _plotlyJavaScript = new Lazy<string>(context.Method<Func<string>>("Pneumonia.Notebooks.Charts", RendererType, "PlotlyJavaScript"));
    }

    /// <summary>The renderer beside this assembly, created on first use.</summary>
    public static ChartRendererHost Instance => Shared.Value;

    /// <summary>plotly.js (about 3.6 MB), for pages and notebooks that must render offline.</summary>
    public string PlotlyJavaScript => _plotlyJavaScript.Value;

    /// <summary>The Plotly figure JSON of <paramref name="spec"/>, built by Plotly.NET.</summary>
    public string RenderFigureJson(ChartSpec spec) =>
        _renderFigureJson(JsonSerializer.Serialize(spec, ChartSpec.JsonOptions));
}
