namespace Pneumonia.Ml.Data;

/// <summary>A split and label pair, the key of image counts.</summary>
/// <param name="Split">The split.</param>
/// <param name="Label">The label, or null for unlabelled images.</param>
public readonly record struct SplitLabel(ImageSplit Split, ImageLabel? Label)
{
    /// <summary>Counts <paramref name="entries"/> per split and label; pairs with no entries are absent.</summary>
    public static IReadOnlyDictionary<SplitLabel, int> Count(IEnumerable<ImageRecord> entries) =>
        entries.CountBy(entry => new SplitLabel(entry.Split, entry.Label)).ToDictionary();

    /// <inheritdoc />
    public override string ToString() => $"{Split}/{(Label is { } label ? LabelNames.ToFolderName(label) : "unlabelled")}";
}
