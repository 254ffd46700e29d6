using System.ComponentModel.DataAnnotations;
using Pneumonia.Abstractions;

namespace Pneumonia.Grains.Hosting;

/// <summary>Limits of the dataset's listings; bound from <see cref="SectionName"/> on silos and front ends alike.</summary>
public sealed class DatasetOptions
{
    public const string SectionName = "Pneumonia:Dataset";

    /// <summary>
    /// The most image records one page of a listing holds (a grain call and an API answer alike); larger requests get
    /// this many. Bounds the size of one Orleans message whatever the size of the data set.
    /// </summary>
    [Range(1, 10_000)]
    public int MaxPageSize { get; set; } = DatasetLimits.DefaultMaxPageSize;
}
