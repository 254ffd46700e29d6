namespace Pneumonia.Ml.Data;

/// <summary>Limits and checkpointing of a <see cref="KaggleDatasetImporter"/> run.</summary>
/// <param name="MaxEntries">Most files (archive entries) one import reads; more stops it before anything is read.</param>
/// <param name="MaxTotalBytes">Most bytes one import reads, counted as read (an archive's declared sizes are not trusted).</param>
/// <param name="SaveEvery">The catalogue is saved after this many accepted images, so a crash loses little work.</param>
public sealed record KaggleImportOptions(int MaxEntries = 100_000, long MaxTotalBytes = 10L * 1024 * 1024 * 1024, int SaveEvery = 1_000)
{
    /// <summary>100,000 entries, 10 GB, a save every 1,000 images.</summary>
    public static KaggleImportOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless every value is positive.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxEntries);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTotalBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SaveEvery);
    }
}
