using System.CommandLine;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Training;

namespace Pneumonia.Cli;

/// <summary>
/// The train and validation splits an already trained model was made from, for the commands that add something to
/// its card from them (<c>ood calibrate</c>, <c>quantize</c>): the options that name the split, and the split decoded
/// as training decoded it (split seed 17, the card's preprocessing).
/// </summary>
internal static class TrainedSplits
{
    public static Option<double> ValidationFraction() => new("--validation-fraction")
    {
        Description = "The share of training patients carved out as validation, as the model was trained with (train's default).",
        DefaultValueFactory = _ => 0.1,
    };

    /// <param name="defaultFraction">The default share.</param>
    /// <param name="defaultNote">What the default is for, said after the sentence that names the option, or "".</param>
    public static Option<double> GateFraction(double defaultFraction, string defaultNote) => new("--gate-fraction")
    {
        Description = $"The promotion gate share the model was trained with (train's --gate-fraction){defaultNote}. The card's data snapshot hash tells whether the split matches.",
        DefaultValueFactory = _ => defaultFraction,
    };

    /// <summary>Decodes the splits; the caller disposes them and checks <see cref="SnapshotMismatch"/>.</summary>
    public static TrainingSplits Load(ModelCard card, DataDirectory data, double validationFraction, double gateFraction, IReadOnlyList<XrayPerturbation> perturbations)
    {
        var preprocessor = new XrayPreprocessor(card.Preprocessing, new XrayImageDecoder(ImageLimits.Default));
        var holdOut = gateFraction > 0 ? new GateSetRule(gateFraction) : null;
        return TrainingSplits.Load(data.LoadCatalogue().Entries, data.Store, preprocessor, validationFraction, splitSeed: 17, holdOut, perturbations);
    }

    /// <summary>A sentence when these are not the images the card records (its data snapshot hash differs), else null.</summary>
    public static string? SnapshotMismatch(ModelCard card, TrainingSplits splits) => splits.Snapshot.SnapshotHash == card.Dataset.SnapshotHash
        ? null
        : $"these train + validation images (snapshot {splits.Snapshot.SnapshotHash[..12]}) are not the ones the card records ({card.Dataset.SnapshotHash[..12]})";
}
