namespace Pneumonia.Ml.Data;

/// <summary>Which part of the data set an image belongs to.</summary>
public enum DatasetSplit
{
    /// <summary>Used to fit the model.</summary>
    Train,

    /// <summary>Used to choose among models and thresholds while training.</summary>
    Validation,

    /// <summary>Held out for the final evaluation only.</summary>
    Test,
}
