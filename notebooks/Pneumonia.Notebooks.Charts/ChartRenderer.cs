using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Plotly.NET;
using Plotly.NET.CSharp;
using CSharpChart = Plotly.NET.CSharp.Chart;

namespace Pneumonia.Notebooks.Charts;

/// <summary>
/// Builds Plotly.NET charts from <see cref="ChartSpec"/>s. Its public methods take and return strings only, because
/// they are called from another AssemblyLoadContext (see ChartRendererHost in Pneumonia.Notebooks).
/// </summary>
public static class ChartRenderer
{
    private const int Width = 720;
    private const int Height = 480;

    /// <summary>The Plotly figure (<c>{"data":[...],"layout":{...}}</c>) for a <see cref="ChartSpec"/> given as JSON.</summary>
    public static string RenderFigureJson(string specJson)
    {
        var spec = JsonSerializer.Deserialize<ChartSpec>(specJson, ChartSpec.JsonOptions)
            ?? throw new ArgumentException("Empty chart specification.", nameof(specJson));
        var chart = Build(spec)
            .WithXAxisStyle<double, double, string>(TitleText: spec.XTitle)
            .WithYAxisStyle<double, double, string>(TitleText: spec.YTitle)
            .WithSize(Width, Height);
        return WithLayoutExtras(GenericChart.toFigureJson(chart), spec);
    }

    /// <summary>plotly.js as shipped inside Plotly.NET, so that pages and notebooks render without a CDN.</summary>
    public static string PlotlyJavaScript()
    {
        var assembly = typeof(GenericChart).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith(".min.js", StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Plotly.NET lacks its embedded {name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    // UseDefaults: false leaves out Plotly.NET's 8 KB default template: plotly.js's own defaults look the same and
    // every figure stored in a notebook stays small.
    private static GenericChart Build(ChartSpec spec) => spec switch
    {
        BarChartSpec bar => CSharpChart.Combine(bar.Series.Select(s => CSharpChart.Column<double, string, string>(
            s.Values, Keys: bar.Categories.ToArray(), Name: s.Name, MultiText: s.Values.Select(Format).ToArray(), UseDefaults: false))),
        LineChartSpec line => CSharpChart.Combine(line.Series.Select(s => s.Dashed
            ? CSharpChart.Line<double, double, string>(s.X, s.Y, ShowMarkers: s.Markers, Name: s.Name, LineColor: Color.fromString("grey"), LineDash: StyleParam.DrawingStyle.Dash, UseDefaults: false)
            : CSharpChart.Line<double, double, string>(s.X, s.Y, ShowMarkers: s.Markers, Name: s.Name, UseDefaults: false))),
        HeatmapChartSpec heatmap => CSharpChart.AnnotatedHeatmap<double, string, string, string>(
            heatmap.Values, heatmap.Values.Select(row => row.Select(Format)),
            X: heatmap.ColumnLabels.ToArray(), Y: heatmap.RowLabels.ToArray(), ReverseYAxis: true, UseDefaults: false),
        HistogramChartSpec histogram => CSharpChart.Combine(histogram.Series.Select(s =>
            CSharpChart.Histogram<double, double, string>(X: s.Values.ToArray(), Name: s.Name, Opacity: 0.6, UseDefaults: false))),
        _ => throw new ArgumentException($"Unknown chart kind {spec.GetType().Name}.", nameof(spec)),
    };

    // Plotly.NET's title and bar-mode setters are F# functions with a dozen non-optional FSharpOption arguments when
    // called from C#; these few layout fields are set on the figure JSON instead.
    private static string WithLayoutExtras(string figureJson, ChartSpec spec)
    {
        var figure = JsonNode.Parse(figureJson)!.AsObject();
        var layout = figure["layout"]?.AsObject() ?? [];
        figure["layout"] = layout;
        layout["title"] = new JsonObject { ["text"] = spec.Title };
        // Version names are long: the legend goes under the plot so that the plot keeps the width.
        layout["legend"] = new JsonObject { ["orientation"] = "h", ["x"] = 0, ["y"] = -0.25, ["yanchor"] = "top" };
        layout["margin"] = new JsonObject { ["t"] = 50, ["b"] = 40, ["l"] = 60, ["r"] = 20 };
        switch (spec)
        {
            case BarChartSpec bar:
                layout["barmode"] = bar.Stacked ? "stack" : "group";
                break;
            case HistogramChartSpec:
                layout["barmode"] = "overlay";
                break;
            case LineChartSpec { UnitSquare: true }:
                foreach (var axis in new[] { "xaxis", "yaxis" })
                {
                    var style = layout[axis]?.AsObject() ?? [];
                    style["range"] = new JsonArray(-0.02, 1.02);
                    layout[axis] = style;
                }

                break;
        }

        return figure.ToJsonString();
    }

    private static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
