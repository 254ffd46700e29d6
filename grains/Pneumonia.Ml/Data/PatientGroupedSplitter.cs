using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Pneumonia.Ml.Data;

/// <summary>A patient whose images lie in more than one split.</summary>
/// <param name="PatientId">The patient.</param>
/// <param name="Splits">The splits holding the patient's images, in enum order.</param>
public sealed record SharedPatient(string PatientId, IReadOnlyList<ImageSplit> Splits);

/// <summary>
/// Carves a validation split out of the training images by patient, so that no patient's images are both trained
/// on and validated against (images of one patient are alike, which would flatter the validation score).
/// </summary>
public static class PatientGroupedSplitter
{
    /// <summary>
    /// Returns <paramref name="entries"/> with about <paramref name="fraction"/> of the training images of each label
    /// moved to validation, whole patients at a time, chosen by a stable hash of seed and patient id (the same input
    /// gives the same split on any machine). Training images of a patient already in validation move there too.
    /// Test images are never moved, and patients who also have test images stay in training (moving them would
    /// only carry the overlap into validation); <see cref="FindSharedPatients"/> reports such patients.
    /// </summary>
    public static IReadOnlyList<ImageRecord> CarveValidation(IReadOnlyList<ImageRecord> entries, double fraction = 0.1, int seed = 17)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentOutOfRangeException.ThrowIfNegative(fraction);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(fraction, 1);

        var patients = entries.GroupBy(entry => entry.PatientId, StringComparer.Ordinal).ToList();
        var toValidation = patients
            .Where(patient => HasSplit(patient, ImageSplit.Train) && HasSplit(patient, ImageSplit.Validation))
            .Select(patient => patient.Key)
            .ToHashSet(StringComparer.Ordinal);

        var trainOnly = patients.Where(patient => patient.All(entry => entry.Split == ImageSplit.Train));
        foreach (var labelGroup in trainOnly.GroupBy(DominantLabel))
        {
            var target = Math.Round(fraction * entries.Count(entry => entry.Split == ImageSplit.Train && entry.Label == labelGroup.Key));
            var taken = 0;
            foreach (var patient in labelGroup.OrderBy(patient => StableHash(seed, patient.Key)).ThenBy(patient => patient.Key, StringComparer.Ordinal))
            {
                if (taken >= target)
                {
                    break;
                }

                toValidation.Add(patient.Key);
                taken += patient.Count();
            }
        }

        return entries
            .Select(entry => entry.Split == ImageSplit.Train && toValidation.Contains(entry.PatientId)
                ? entry with { Split = ImageSplit.Validation }
                : entry)
            .ToList();
    }

    /// <summary>The patients whose images lie in more than one split, ordered by patient id.</summary>
    public static IReadOnlyList<SharedPatient> FindSharedPatients(IEnumerable<ImageRecord> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return entries
            .GroupBy(entry => entry.PatientId, StringComparer.Ordinal)
            .Select(patient => new SharedPatient(patient.Key, patient.Select(entry => entry.Split).Distinct().Order().ToList()))
            .Where(patient => patient.Splits.Count > 1)
            .OrderBy(patient => patient.PatientId, StringComparer.Ordinal)
            .ToList();
    }

    private static bool HasSplit(IEnumerable<ImageRecord> patient, ImageSplit split) => patient.Any(entry => entry.Split == split);

    // Patients are almost always single-label; a mixed one counts under its most frequent label.
    private static ImageLabel? DominantLabel(IEnumerable<ImageRecord> patient) =>
        patient.GroupBy(entry => entry.Label).OrderByDescending(label => label.Count()).ThenBy(label => label.Key).First().Key;

    // string.GetHashCode is randomised per process; the split must be reproducible.
    private static ulong StableHash(int seed, string patientId) =>
        BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}\n{patientId}")));
}
