using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Pneumonia.Ml.Data;

/// <summary>
/// Which labelled images belong to the promotion gate's fixed evaluation set. Decided per group, once, when the image
/// arrives: a patient when the file name names one (the Kermany patterns of <see cref="PatientId"/>), otherwise the
/// whole upload batch, so no patient (or batch of unknown patients) is split between training and the gate. A group
/// is in the gate when a stable hash of it falls under <see cref="Fraction"/>: the same group always lands on the same
/// side, on any machine, however the data set grows. Only training images are held out: validation images stay what
/// their split says, and test images and the groups of patients who also have test images are never in the gate.
/// </summary>
public sealed record GateSetRule(double Fraction)
{
    /// <summary>The share of groups held out when nothing is configured.</summary>
    public const double DefaultFraction = 0.15;

    private const string Salt = "pneumonia-gate-set-v1";

    public string Description => string.Create(CultureInfo.InvariantCulture,
        $"{Fraction:P0} of the training patients (of whole upload batches where file names name no patient), chosen by a stable hash; never trained on, never used for early stopping, calibration or thresholds");

    /// <summary>The group an image is held out with: its patient when the file name names one, else its batch.</summary>
    public static string GroupOf(string originalName, string patientId, string batchId) =>
        PatientId.IsRecognised(originalName) ? $"patient:{patientId}" : $"batch:{batchId}";

    /// <summary>Whether an image of <paramref name="split"/> in <paramref name="group"/> belongs to the gate set.</summary>
    /// <param name="patientHasTestImages">The image's patient also has images in the test split.</param>
    public bool IsMember(ImageSplit split, string group, bool patientHasTestImages)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (split != ImageSplit.Train || patientHasTestImages) return false;
        return UnitHash(group) < Fraction;
    }

    // string.GetHashCode is randomised per process; membership must be the same everywhere and for ever.
    private static double UnitHash(string group) =>
        BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"{Salt}\n{group}"))) / (double)ulong.MaxValue;
}
