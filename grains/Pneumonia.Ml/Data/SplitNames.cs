namespace Pneumonia.Ml.Data;

/// <summary>The folder names of splits in the Kaggle layout (<c>train</c>, <c>val</c>, <c>test</c>).</summary>
public static class SplitNames
{
    /// <summary>Parses a split folder name, ignoring case.</summary>
    public static bool TryParse(string? folderName, out DatasetSplit split)
    {
        (var known, split) = folderName?.ToUpperInvariant() switch
        {
            "TRAIN" => (true, DatasetSplit.Train),
            "VAL" => (true, DatasetSplit.Validation),
            "TEST" => (true, DatasetSplit.Test),
            _ => (false, default),
        };
        return known;
    }
}
