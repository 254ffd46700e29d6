using Pneumonia.Abstractions;
using Pneumonia.Ml.Data;

namespace Pneumonia.Grains.Dataset;

/// <summary>Converts between the contract's image records and the ML core's catalogue entries (the same fields).</summary>
public static class CatalogueMapper
{
    public static CatalogueEntry ToEntry(this ImageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new CatalogueEntry(
            record.Sha256, record.Label is { } label ? ToXray(label) : null, ToDataset(record.Split), record.Source,
            record.OriginalName, record.SizeBytes, record.Width, record.Height, record.PatientId, record.AddedAt);
    }

    public static ImageRecord ToRecord(this CatalogueEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new ImageRecord(
            entry.Sha256, entry.Label is { } label ? ToImage(label) : null, ToImage(entry.Split), entry.Source,
            entry.OriginalName, entry.SizeBytes, entry.Width, entry.Height, entry.PatientId, entry.AddedAt);
    }

    public static XrayLabel ToXray(ImageLabel label) => label switch
    {
        ImageLabel.Normal => XrayLabel.Normal,
        ImageLabel.Pneumonia => XrayLabel.Pneumonia,
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, "Unknown label."),
    };

    public static ImageLabel ToImage(XrayLabel label) => label switch
    {
        XrayLabel.Normal => ImageLabel.Normal,
        XrayLabel.Pneumonia => ImageLabel.Pneumonia,
        _ => throw new ArgumentOutOfRangeException(nameof(label), label, "Unknown label."),
    };

    public static DatasetSplit ToDataset(ImageSplit split) => split switch
    {
        ImageSplit.Train => DatasetSplit.Train,
        ImageSplit.Validation => DatasetSplit.Validation,
        ImageSplit.Test => DatasetSplit.Test,
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown split."),
    };

    public static ImageSplit ToImage(DatasetSplit split) => split switch
    {
        DatasetSplit.Train => ImageSplit.Train,
        DatasetSplit.Validation => ImageSplit.Validation,
        DatasetSplit.Test => ImageSplit.Test,
        _ => throw new ArgumentOutOfRangeException(nameof(split), split, "Unknown split."),
    };
}
