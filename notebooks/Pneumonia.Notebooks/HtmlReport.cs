using System.Net;
using System.Text;
using Pneumonia.Notebooks.Rendering;

namespace Pneumonia.Notebooks;

/// <summary>
/// What a file-based app makes instead of a notebook: one self-contained HTML page with the same views, plotly.js
/// embedded once in its head so it renders offline.
/// </summary>
public sealed class HtmlReport(string title)
{
    private readonly StringBuilder _body = new();

    public int Figures { get; private set; }

    public HtmlReport Heading(string text)
    {
        _body.Append("<h2>").Append(WebUtility.HtmlEncode(text)).Append("</h2>\n");
        return this;
    }

    public HtmlReport Add(IHtmlView view)
    {
        Figures += view is Figure ? 1 : 0;
        _body.Append(view.ToHtml()).Append('\n');
        return this;
    }

    /// <summary>Writes the page into <paramref name="directory"/> (created if needed) and returns its path.</summary>
    public string Save(string directory, string fileName)
    {
        Directory.CreateDirectory(directory);
        var path = Path.GetFullPath(Path.Combine(directory, fileName));
        File.WriteAllText(path, $"""
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>{WebUtility.HtmlEncode(title)}</title>
            <script type="text/javascript">{ChartRendererHost.Instance.PlotlyJavaScript}</script>
            <style>body{"{"}font-family:sans-serif;margin:24px{"}"} table{"{"}border-collapse:collapse;margin:8px 0{"}"} td,th{"{"}border:1px solid #ccc;padding:2px 6px;font-size:13px{"}"}</style>
            </head><body><h1>{WebUtility.HtmlEncode(title)}</h1>
            {_body}
            </body></html>
            """);
        return path;
    }
}
