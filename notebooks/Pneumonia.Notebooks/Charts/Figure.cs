using System.Net;
using Pneumonia.Notebooks.Charts;

namespace Pneumonia.Notebooks.Rendering;

/// <summary>A chart drawn by Plotly.NET: its figure JSON, shown in a notebook or written into an HTML page.</summary>
public sealed record Figure(string Title, string FigureJson) : IHtmlView
{
    /// <summary>Builds the figure of <paramref name="spec"/> with Plotly.NET (in its own load context).</summary>
    public static Figure From(ChartSpec spec) => new(spec.Title, ChartRendererHost.Instance.RenderFigureJson(spec));

    /// <summary>
    /// A div and the script that draws it with the page's plotly.js. In a notebook that script is loaded once by
    /// <see cref="NotebookSession.PlotlyScript"/>; in a report page it is embedded in the head.
    /// </summary>
    public string ToHtml()
    {
        var id = "plotly-" + Guid.NewGuid().ToString("N");
        return $$"""
            <div id="{{id}}" class="plotly-figure" title="{{WebUtility.HtmlEncode(Title)}}"></div>
            <script type="text/javascript">(function () {
              var figure = {{FigureJson}};
              if (window.Plotly) { Plotly.newPlot('{{id}}', figure.data, figure.layout, {responsive: true}); }
              else { document.getElementById('{{id}}').textContent = 'plotly.js is not loaded: run the first cell of the notebook.'; }
            })();</script>
            """;
    }
}

/// <summary>Anything a notebook shows or a report page holds: it renders itself as an HTML fragment.</summary>
public interface IHtmlView
{
    string ToHtml();
}

/// <summary>A ready HTML fragment (tables, image grids, messages).</summary>
public sealed record HtmlView(string Html) : IHtmlView
{
    public string ToHtml() => Html;

    public static HtmlView Message(string text) => new($"<p><em>{WebUtility.HtmlEncode(text)}</em></p>");
}
