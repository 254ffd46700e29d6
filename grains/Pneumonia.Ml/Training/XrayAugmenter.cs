using static TorchSharp.torch;

namespace Pneumonia.Ml.Training;

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
