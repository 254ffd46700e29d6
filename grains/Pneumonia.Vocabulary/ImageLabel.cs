namespace Pneumonia;

/// <summary>The diagnosis a chest X-ray is labelled with, as far as its uploader or the source data set says.</summary>
/// <remarks>The values are stored (grain state, catalogue files by name): never renumber or rename them.</remarks>
public enum ImageLabel
{
    /// <summary>No pneumonia.</summary>
    Normal = 0,

    /// <summary>Bacterial or viral pneumonia.</summary>
    Pneumonia = 1,
}
