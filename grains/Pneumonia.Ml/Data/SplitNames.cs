namespace Pneumonia.Ml.Data;

/// <summary>The folder names of splits in the Kaggle layout (<c>train</c>, <c>val</c>, <c>test</c>).</summary>
public static class SplitNames
{
    /// <summary>Parses a split folder name, ignoring case.</summary>
    public static bool TryParse(string? folderName, out ImageSplit split)
    {
        (var known, split) = folderName?.ToUpperInvariant() switch
        {
            "TRAIN" => (true, ImageSplit.Train),
            "VAL" => (true, ImageSplit.Validation),
            "TEST" => (true, ImageSplit.Test),
            _ => (false, default),
        };
        return known;
    }
}
