using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pneumonia.Notebooks.Charts;

/// <summary>
/// What to draw, as plain data: the notebooks' helper builds these in the kernel's load context and the renderer
/// (Plotly.NET) turns them into a figure in its own load context. Crossing that boundary as JSON keeps Plotly.NET
/// and FSharp.Core types on one side only.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(BarChartSpec), "bar")]
[JsonDerivedType(typeof(LineChartSpec), "line")]
[JsonDerivedType(typeof(HeatmapChartSpec), "heatmap")]
[JsonDerivedType(typeof(HistogramChartSpec), "histogram")]
public abstract record ChartSpec(string Title, string XTitle, string YTitle)
{
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web);
}

/// <summary>One named series of bars over shared categories.</summary>
public sealed record BarSeries(string Name, IReadOnlyList<double> Values);

/// <summary>Bars per category, one colour per series; stacked or side by side.</summary>
public sealed record BarChartSpec(string Title, string XTitle, string YTitle, IReadOnlyList<string> Categories, IReadOnlyList<BarSeries> Series, bool Stacked)
    : ChartSpec(Title, XTitle, YTitle);

/// <summary>One named line; <paramref name="Dashed"/> for references such as the chance diagonal.</summary>
public sealed record LineSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y, bool Markers = false, bool Dashed = false);

/// <summary>Lines over numeric axes; a unit square for ROC and reliability plots.</summary>
public sealed record LineChartSpec(string Title, string XTitle, string YTitle, IReadOnlyList<LineSeries> Series, bool UnitSquare = false)
    : ChartSpec(Title, XTitle, YTitle);

/// <summary>A labelled matrix (a confusion matrix): rows are <paramref name="RowLabels"/>, top to bottom.</summary>
public sealed record HeatmapChartSpec(string Title, string XTitle, string YTitle, IReadOnlyList<string> ColumnLabels, IReadOnlyList<string> RowLabels, IReadOnlyList<IReadOnlyList<double>> Values)
    : ChartSpec(Title, XTitle, YTitle);

/// <summary>Distributions of raw values, one overlaid histogram per series.</summary>
public sealed record HistogramChartSpec(string Title, string XTitle, string YTitle, IReadOnlyList<BarSeries> Series)
    : ChartSpec(Title, XTitle, YTitle);
