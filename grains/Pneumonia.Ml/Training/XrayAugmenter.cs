using System.ComponentModel.DataAnnotations;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Training;

/// <summary>
/// How far <see cref="XrayAugmenter"/> may change a training image. Stored in the model card with the other training
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

/// <summary>
/// Random geometric and photometric changes of a training batch, done on tensors (one batched affine warp) so that
/// images are decoded once, not once an epoch. The ranges come from <see cref="XrayAugmentation"/>; X-rays are taken
/// upright and centred, so even the robust ranges stay small.
/// </summary>
public sealed class XrayAugmenter(XrayAugmentation ranges)
{
    public XrayAugmenter()
        : this(XrayAugmentation.Standard)
    {
    }

    public XrayAugmentation Ranges { get; } = ranges ?? throw new ArgumentNullException(nameof(ranges));

    /// <summary>Returns an augmented copy of <paramref name="batch"/> (float32 [B,1,S,S], grey values 0..255).</summary>
    public Tensor Apply(Tensor batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var count = batch.shape[0];
        Tensor Uniform(double halfWidth) => (rand(count, generator: generator) * 2 - 1) * halfWidth;
        Tensor PerImage(Tensor values) => values.view(count, 1, 1, 1);
        Tensor Chosen(double probability) => PerImage((rand(count, generator: generator) < probability).to_type(ScalarType.Float32));

        var angle = Uniform(Ranges.MaxRotationDegrees * Math.PI / 180);
        var inverseScale = 1 / (1 + Uniform(Ranges.MaxScaleChange));
        var shiftX = Uniform(Ranges.MaxShiftFraction * 2); // normalised coordinates span 2
        var shiftY = Uniform(Ranges.MaxShiftFraction * 2);
        // A mirrored image: the x row of the affine map changes sign.
        var mirror = 1 - (2 * (rand(count, generator: generator) < Ranges.FlipProbability).to_type(ScalarType.Float32));
        var cos = angle.cos() * inverseScale;
        var sin = angle.sin() * inverseScale;
        var theta = stack(new[]
        {
            stack(new[] { cos * mirror, -sin * mirror, shiftX }, 1),
            stack(new[] { sin, cos, shiftY }, 1),
        }, 1);
        var grid = nn.functional.affine_grid(theta, batch.shape, align_corners: false);
        // Zero padding: 0 is black, which is what surrounds the chest on a film.
        var image = nn.functional.grid_sample(batch, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);

        if (Ranges.MaxGammaChange > 0)
        {
            var gamma = PerImage((Uniform(Math.Log(1 + Ranges.MaxGammaChange))).exp());
            image = (image.clamp(0, 255) / 255).pow(gamma) * 255;
        }

        var contrast = PerImage(1 + Uniform(Ranges.MaxContrastChange));
        var brightness = PerImage(Uniform(Ranges.MaxBrightnessChange) * 255);
        var mean = image.mean(new long[] { 1, 2, 3 }, keepdim: true);
        image = ((image - mean) * contrast) + mean + brightness;

        if (Ranges.BlurProbability > 0)
        {
            var blurred = nn.functional.conv2d(nn.functional.pad(image, [1, 1, 1, 1], TorchSharp.PaddingModes.Replicate), BlurKernel());
            image = image + (Chosen(Ranges.BlurProbability) * (blurred - image));
        }

        if (Ranges.MaxNoiseSigma > 0)
        {
            var sigma = PerImage(rand(count, generator: generator) * Ranges.MaxNoiseSigma);
            image = image + (randn(image.shape, generator: generator) * sigma);
        }

        return image.clamp(0, 255);
    }

    /// <summary>A normalised 3 x 3 Gaussian of sigma 0.8 px, [1,1,3,3].</summary>
    private static Tensor BlurKernel()
    {
        var weights = new[] { -1.0, 0, 1 }.Select(x => Math.Exp(-(x * x) / (2 * 0.8 * 0.8))).ToArray();
        var kernel = new float[9];
        for (var row = 0; row < 3; row++)
        {
            for (var column = 0; column < 3; column++) kernel[(row * 3) + column] = (float)(weights[row] * weights[column]);
        }

        var sum = kernel.Sum();
        return tensor(kernel.Select(k => k / sum).ToArray(), [1, 1, 3, 3]);
    }
}
