namespace Pneumonia;

/// <summary>Which part of the data an image belongs to. Test images are only ever evaluated.</summary>
/// <remarks>The values are stored (grain state, catalogue files by name): never renumber or rename them.</remarks>
public enum ImageSplit
{
    /// <summary>Used to fit the model.</summary>
    Train = 0,

    /// <summary>Used to choose among models and thresholds while training.</summary>
    Validation = 1,

    /// <summary>Held out for the final evaluation only.</summary>
    Test = 2,
}
