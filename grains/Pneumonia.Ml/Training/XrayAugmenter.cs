using static TorchSharp.torch;

namespace Pneumonia.Ml.Training;

/// <summary>
/// Random geometric and photometric changes of a training batch, done on tensors (one batched affine warp) so that
/// images are decoded once, not once an epoch. Ranges are small: X-rays are taken upright and centred, so a large
/// rotation or crop would show the network images it never meets.
/// <para>No horizontal flip: a chest X-ray is not mirror-symmetric (heart, aortic knob and gastric bubble sit on the
/// left; lines and markers are lateralised), and a flipped film is an image that does not occur in practice.</para>
/// </summary>
public sealed class XrayAugmenter
{
    public double MaxRotationDegrees { get; init; } = 7;
    public double MaxShiftFraction { get; init; } = 0.06;
    public double MaxScaleChange { get; init; } = 0.10;
    public double MaxBrightnessChange { get; init; } = 0.10;
    public double MaxContrastChange { get; init; } = 0.10;

    /// <summary>Returns an augmented copy of <paramref name="batch"/> (float32 [B,1,S,S], grey values 0..255).</summary>
    public Tensor Apply(Tensor batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var count = batch.shape[0];
        Tensor Uniform(double halfWidth) => (rand(count, generator: generator) * 2 - 1) * halfWidth;

        var angle = Uniform(MaxRotationDegrees * Math.PI / 180);
        var inverseScale = 1 / (1 + Uniform(MaxScaleChange));
        var shiftX = Uniform(MaxShiftFraction * 2); // normalised coordinates span 2
        var shiftY = Uniform(MaxShiftFraction * 2);
        var cos = angle.cos() * inverseScale;
        var sin = angle.sin() * inverseScale;
        var theta = stack(new[]
        {
            stack(new[] { cos, -sin, shiftX }, 1),
            stack(new[] { sin, cos, shiftY }, 1),
        }, 1);
        var grid = nn.functional.affine_grid(theta, batch.shape, align_corners: false);
        // Zero padding: 0 is black, which is what surrounds the chest on a film.
        var warped = nn.functional.grid_sample(batch, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);

        var contrast = (1 + Uniform(MaxContrastChange)).view(count, 1, 1, 1);
        var brightness = (Uniform(MaxBrightnessChange) * 255).view(count, 1, 1, 1);
        var mean = warped.mean(new long[] { 1, 2, 3 }, keepdim: true);
        return ((warped - mean) * contrast + mean + brightness).clamp(0, 255);
    }
}
