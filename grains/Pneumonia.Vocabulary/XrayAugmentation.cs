using System.ComponentModel.DataAnnotations;

namespace Pneumonia;

/// <summary>
/// How far the ML core's <c>XrayAugmenter</c> may change a training image. Stored in the model card with the other training
/// options, so a run can be repeated. <see cref="Standard"/> is the original recipe (geometry, exposure);
/// <see cref="Robust"/> adds what real acquisitions and careless uploads bring and the standard recipe's model was
/// fragile to (issue 13's robustness table): sensor noise, gamma, blur and mirrored films.
/// </summary>
public sealed record XrayAugmentation
{
    [Range(0, 45)] public double MaxRotationDegrees { get; init; } = 7;
    [Range(0, 0.5)] public double MaxShiftFraction { get; init; } = 0.06;
    [Range(0, 0.5)] public double MaxScaleChange { get; init; } = 0.10;
    [Range(0, 1)] public double MaxBrightnessChange { get; init; } = 0.10;
    [Range(0, 1)] public double MaxContrastChange { get; init; } = 0.10;

    /// <summary>Gamma drawn log-uniformly from [1 / (1 + g), 1 + g]; 0 leaves the tone curve alone.</summary>
    [Range(0, 2)] public double MaxGammaChange { get; init; }

    /// <summary>Gaussian noise of a standard deviation drawn uniformly from [0, this] (0-255 grey scale, at the model's input size).</summary>
    [Range(0, 64)] public double MaxNoiseSigma { get; init; }

    /// <summary>Share of images softened by a 3 x 3 Gaussian blur (sigma 0.8 px), standing in for JPEG's lost detail.</summary>
    [Range(0, 1)] public double BlurProbability { get; init; }

    /// <summary>
    /// Share of images mirrored left and right. A chest film is not mirror-symmetric, but mirrored films do arrive
    /// (a detector read from the back, a careless export) and the standard recipe's model lost 0.02 ROC-AUC on them.
    /// </summary>
    [Range(0, 1)] public double FlipProbability { get; init; }

    /// <summary>The original recipe: small rotations, shifts, zooms, brightness and contrast changes.</summary>
    public static XrayAugmentation Standard { get; } = new();

    /// <summary>Wider geometry and exposure ranges plus noise, gamma, blur and mirroring.</summary>
    public static XrayAugmentation Robust { get; } = new()
    {
        MaxRotationDegrees = 10,
        MaxShiftFraction = 0.08,
        MaxScaleChange = 0.15,
        MaxBrightnessChange = 0.20,
        MaxContrastChange = 0.20,
        MaxGammaChange = 0.5,
        MaxNoiseSigma = 10,
        BlurProbability = 0.3,
        FlipProbability = 0.5,
    };

    /// <summary>The preset of that name ("standard" or "robust"), or null.</summary>
    public static XrayAugmentation? Named(string name) => name.ToLowerInvariant() switch
    {
        "standard" => Standard,
        "robust" => Robust,
        _ => null,
    };
}
