namespace Pneumonia.Ml.Data;

/// <summary>The folder names of labels in the Kaggle layout (<c>NORMAL</c>, <c>PNEUMONIA</c>).</summary>
public static class LabelNames
{
    /// <summary>Parses a label folder name, ignoring case.</summary>
    public static bool TryParse(string? folderName, out ImageLabel label)
    {
        if (string.Equals(folderName, "NORMAL", StringComparison.OrdinalIgnoreCase))
        {
            label = ImageLabel.Normal;
            return true;
        }

        if (string.Equals(folderName, "PNEUMONIA", StringComparison.OrdinalIgnoreCase))
        {
            label = ImageLabel.Pneumonia;
            return true;
        }

        label = default;
        return false;
    }

    /// <summary>The folder name of a label: <c>NORMAL</c> or <c>PNEUMONIA</c>.</summary>
    public static string ToFolderName(ImageLabel label) => label switch
    {
        ImageLabel.Normal => "NORMAL",
        ImageLabel.Pneumonia => "PNEUMONIA",
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, "Unknown label."),
    };
}
