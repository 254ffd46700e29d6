using System.Globalization;
using System.Net;
using System.Text;
using Pneumonia.Notebooks.Rendering;

namespace Pneumonia.Notebooks.Views;

/// <summary>Small HTML building blocks: tables and image grids for notebooks and report pages.</summary>
public static class Html
{
    /// <summary>A table with a header row; cells are encoded text.</summary>
    public static HtmlView Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<object?>> rows, string? caption = null)
    {
        var html = new StringBuilder("<table class=\"pneumonia-table\">");
        if (caption is not null)
        {
            html.Append("<caption>").Append(Encode(caption)).Append("</caption>");
        }

        html.Append("<thead><tr>");
        foreach (var header in headers)
        {
            html.Append("<th>").Append(Encode(header)).Append("</th>");
        }

        html.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            html.Append("<tr>");
            foreach (var cell in row)
            {
                html.Append("<td>").Append(Encode(Format(cell))).Append("</td>");
            }

            html.Append("</tr>");
        }

        return new HtmlView(html.Append("</tbody></table>").ToString());
    }

    /// <summary>An inline PNG.</summary>
    public static string Image(string pngBase64, string alt, int size = 160) =>
        $"<img src=\"data:image/png;base64,{pngBase64}\" alt=\"{Encode(alt)}\" width=\"{size}\" height=\"{size}\" />";

    public static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Format(object? value) => value switch
    {
        null => "",
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
