using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Pneumonia.Ml.Serving;

/// <summary>
/// Draws a class-activation map (CAM: the head's weights applied to the last feature map) over the X-ray as a PNG.
/// Only evidence FOR pneumonia is coloured: a reader looks for where the model saw opacity, and a map of
/// "normal" evidence over a normal film says little.
/// </summary>
public static class ClassActivationHeatmap
{
    /// <summary>Longest side of the rendered overlay: enough to read, small enough to send as base64.</summary>
    public const int MaxSide = 512;

    private const float MaxOpacity = 0.55f;

    /// <param name="xray">The decoded image (any size; drawn at its own aspect ratio, at most <see cref="MaxSide"/>).</param>
    /// <param name="activation">CAM values row-major [height, width] on the network's feature grid.</param>
    public static byte[] RenderPng(Image<L8> xray, float[] activation, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(xray);
        ArgumentNullException.ThrowIfNull(activation);
        if (activation.Length != height * width) throw new ArgumentException("activation does not match its grid size", nameof(activation));

        var scale = Math.Min(1.0, MaxSide / (double)Math.Max(xray.Width, xray.Height));
        var outWidth = Math.Max(1, (int)Math.Round(xray.Width * scale));
        var outHeight = Math.Max(1, (int)Math.Round(xray.Height * scale));
        using var canvas = xray.CloneAs<Rgb24>();
        canvas.Mutate(c => c.Resize(outWidth, outHeight));

        // Positive evidence only, scaled to [0, 1] by its own maximum (a map shows where, not how much).
        var max = activation.Max();
        var weights = new Image<L8>(width, height);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                weights[x, y] = new L8((byte)(max > 0 ? Math.Clamp(activation[y * width + x] / max, 0, 1) * 255 : 0));
        using (weights)
        {
            weights.Mutate(c => c.Resize(outWidth, outHeight, KnownResamplers.Triangle));
            canvas.ProcessPixelRows(weights, (canvasRows, weightRows) =>
            {
                for (var y = 0; y < canvasRows.Height; y++)
                {
                    var row = canvasRows.GetRowSpan(y);
                    var heat = weightRows.GetRowSpan(y);
                    for (var x = 0; x < row.Length; x++)
                    {
                        var t = heat[x].PackedValue / 255f;
                        var colour = Jet(t);
                        var alpha = MaxOpacity * t;
                        row[x] = new Rgb24(
                            Blend(row[x].R, colour.R, alpha),
                            Blend(row[x].G, colour.G, alpha),
                            Blend(row[x].B, colour.B, alpha));
                    }
                }
            });
        }
        using var png = new MemoryStream();
        canvas.SaveAsPng(png);
        return png.ToArray();
    }

    private static byte Blend(byte under, byte over, float alpha) => (byte)Math.Round(under * (1 - alpha) + over * alpha);

    /// <summary>The classic blue -> cyan -> yellow -> red ramp.</summary>
    private static Rgb24 Jet(float t)
    {
        static byte Channel(float v) => (byte)(Math.Clamp(v, 0, 1) * 255);
        return new Rgb24(Channel(1.5f - Math.Abs(4 * t - 3)), Channel(1.5f - Math.Abs(4 * t - 2)), Channel(1.5f - Math.Abs(4 * t - 1)));
    }
}
