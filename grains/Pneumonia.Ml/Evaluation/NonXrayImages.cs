using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.PixelFormats;

namespace Pneumonia.Ml.Evaluation;

/// <summary>
/// Images that are certainly not chest X-rays, made in code (deterministic for a seed), to measure how often the
/// out-of-distribution check catches what a user might send by mistake: blank frames, sensor noise, text pages.
/// </summary>
public static class NonXrayImages
{
    /// <summary>The kinds <see cref="Create"/> makes.</summary>
    public static IReadOnlyList<string> Kinds { get; } = ["blank", "uniform-noise", "gaussian-noise", "document", "gradient", "checkerboard"];

    /// <summary>One image of <paramref name="kind"/>, <paramref name="width"/> x <paramref name="height"/>, encoded as PNG (even seeds) or JPEG.</summary>
    public static byte[] Create(string kind, int seed, int width = 512, int height = 512)
    {
        var random = new Random(seed);
        var pixels = new byte[width * height];
        switch (kind)
        {
            case "blank":
                Array.Fill(pixels, (byte)random.Next(256));
                break;
            case "uniform-noise":
                random.NextBytes(pixels);
                break;
            case "gaussian-noise":
                var mean = random.Next(64, 192);
                var sigma = random.Next(10, 60);
                for (var i = 0; i < pixels.Length; i++) pixels[i] = Clamp(mean + (sigma * Gaussian(random)));
                break;
            case "document":
                Document(pixels, width, height, random);
                break;
            case "gradient":
                var (from, to) = (random.Next(256), random.Next(256));
                for (var y = 0; y < height; y++)
                    for (var x = 0; x < width; x++)
                        pixels[(y * width) + x] = (byte)(from + ((to - from) * (x + y) / (width + height - 2)));
                break;
            case "checkerboard":
                var cell = random.Next(8, 64);
                for (var y = 0; y < height; y++)
                    for (var x = 0; x < width; x++)
                        pixels[(y * width) + x] = ((x / cell) + (y / cell)) % 2 == 0 ? (byte)230 : (byte)25;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, $"expected one of {string.Join(", ", Kinds)}");
        }

        using var image = Image.LoadPixelData<L8>(pixels, width, height);
        using var stream = new MemoryStream();
        if (seed % 2 == 0) image.Save(stream, new PngEncoder());
        else image.Save(stream, new JpegEncoder { Quality = 85 });
        return stream.ToArray();
    }

    // A white page with margins and lines of dark "words" of random lengths: what a scanned letter looks like at a distance.
    private static void Document(byte[] pixels, int width, int height, Random random)
    {
        Array.Fill(pixels, (byte)random.Next(225, 256));
        var margin = width / 10;
        var lineHeight = random.Next(10, 24);
        for (var top = margin; top + lineHeight < height - margin; top += lineHeight * 2)
        {
            var x = margin;
            while (x < width - margin)
            {
                var word = random.Next(lineHeight, lineHeight * 5);
                for (var y = top; y < top + lineHeight; y++)
                    for (var i = x; i < Math.Min(x + word, width - margin); i++)
                        pixels[(y * width) + i] = (byte)random.Next(0, 60);
                x += word + random.Next(lineHeight / 2, lineHeight);
            }
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static byte Clamp(double value) => (byte)Math.Clamp(Math.Round(value), 0, 255);
}
