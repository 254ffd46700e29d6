namespace Pneumonia.Ml.Data;

/// <summary>The diagnosis a chest X-ray is labelled with.</summary>
public enum XrayLabel
{
    /// <summary>No pneumonia.</summary>
    Normal,

    /// <summary>Bacterial or viral pneumonia.</summary>
    Pneumonia,
}
