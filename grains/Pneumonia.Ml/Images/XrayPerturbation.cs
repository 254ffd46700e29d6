using System.Globalization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Pneumonia.Ml.Images;

/// <summary>The ways <see cref="XrayPerturbation"/> changes an image.</summary>
public enum PerturbationKind
{
    /// <summary>The image as it is.</summary>
    None,

    /// <summary>Adds Gaussian noise of standard deviation Amount (0-255 scale), clamped.</summary>
    GaussianNoise,

    /// <summary>Re-encodes as a grey JPEG of quality Amount (1-100).</summary>
    Jpeg,

    /// <summary>Rotates by Amount degrees (positive clockwise) about the centre, same size, corners black.</summary>
    Rotation,

    /// <summary>Scales the content by Amount about the centre, same size: above 1 crops (zoom in), below 1 pads black (zoom out).</summary>
    Zoom,

    /// <summary>Multiplies every grey level by Amount, clamped.</summary>
    Brightness,

    /// <summary>Scales every grey level's distance from the image's mean grey by Amount (as PIL's ImageEnhance.Contrast), clamped.</summary>
    Contrast,

    /// <summary>v -> 255 (v / 255)^Amount.</summary>
    Gamma,

    /// <summary>Mirrors left and right.</summary>
    HorizontalFlip,

    /// <summary>Shrinks the image (aspect ratio kept) so that its shorter side is Amount pixels: a low-resolution copy.</summary>
    Downscale,
}

/// <summary>
/// One reproducible change to an X-ray of the kinds a real acquisition or a careless upload brings: sensor noise,
/// JPEG artefacts, a tilted or differently framed film, exposure, a mirrored image, a low resolution. Applied to the
/// decoded (upright, full-size) image before the usual preprocessing, so it measures the served path. Used to measure
/// robustness (<c>pneumonia evaluate --perturbations</c>) and to build perturbed validation signals. Thread-safe.
/// </summary>
/// <param name="Kind">What is changed.</param>
/// <param name="Amount">How much; its meaning depends on <paramref name="Kind"/> (ignored for None and HorizontalFlip).</param>
public sealed record XrayPerturbation(PerturbationKind Kind, double Amount = 0)
{
    /// <summary>The image unchanged.</summary>
    public static XrayPerturbation Clean { get; } = new(PerturbationKind.None);

    /// <summary>
    /// The robustness table of issue 13, in its order: clean; Gaussian noise sigma 4 and 8; JPEG quality 30; rotation
    /// -7 and +7 degrees; zoom in 10% and out 8%; brightness x0.8 and x1.2; contrast x0.8; gamma 0.7; horizontal flip.
    /// </summary>
    public static IReadOnlyList<XrayPerturbation> RobustnessSuite { get; } =
    [
        Clean,
        new(PerturbationKind.GaussianNoise, 4),
        new(PerturbationKind.GaussianNoise, 8),
        new(PerturbationKind.Jpeg, 30),
        new(PerturbationKind.Rotation, -7),
        new(PerturbationKind.Rotation, 7),
        new(PerturbationKind.Zoom, 1.10),
        new(PerturbationKind.Zoom, 0.92),
        new(PerturbationKind.Brightness, 0.8),
        new(PerturbationKind.Brightness, 1.2),
        new(PerturbationKind.Contrast, 0.8),
        new(PerturbationKind.Gamma, 0.7),
        new(PerturbationKind.HorizontalFlip),
    ];

    /// <summary>The perturbed rows of <see cref="RobustnessSuite"/> (all but clean): the views of a perturbed validation.</summary>
    public static IReadOnlyList<XrayPerturbation> ValidationSuite { get; } = [.. RobustnessSuite.Skip(1)];

    /// <summary>A short human-readable name, e.g. "Gaussian noise sigma 8" or "zoom in 10%".</summary>
    public string Name => Kind switch
    {
        PerturbationKind.None => "clean",
        PerturbationKind.GaussianNoise => $"Gaussian noise sigma {Format(Amount)}",
        PerturbationKind.Jpeg => $"JPEG quality {Format(Amount)}",
        PerturbationKind.Rotation => $"rotation {(Amount > 0 ? "+" : "")}{Format(Amount)} degrees",
        PerturbationKind.Zoom => Amount >= 1 ? $"zoom in {Format((Amount - 1) * 100)}%" : $"zoom out {Format((1 - Amount) * 100)}%",
        PerturbationKind.Brightness => $"brightness x{Format(Amount)}",
        PerturbationKind.Contrast => $"contrast x{Format(Amount)}",
        PerturbationKind.Gamma => $"gamma {Format(Amount)}",
        PerturbationKind.HorizontalFlip => "horizontal flip",
        PerturbationKind.Downscale => $"downscaled to {Format(Amount)} px",
        _ => Kind.ToString(),
    };

    /// <summary>
    /// A new, perturbed copy of <paramref name="image"/> (which is not changed); the caller disposes it. Random
    /// perturbations (noise) draw from <paramref name="seed"/>, so the same image and seed give the same pixels.
    /// </summary>
    public Image<L8> Apply(Image<L8> image, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (width, height) = (image.Width, image.Height);
        switch (Kind)
        {
            case PerturbationKind.None:
                return image.Clone();
            case PerturbationKind.GaussianNoise:
                var random = new Random(seed);
                return MapPixels(image, v => v + (Amount * Gaussian(random)));
            case PerturbationKind.Jpeg:
                using (var stream = new MemoryStream())
                {
                    image.Save(stream, new JpegEncoder { Quality = (int)Math.Clamp(Math.Round(Amount), 1, 100), ColorType = JpegColorType.Luminance });
                    stream.Position = 0;
                    return Image.Load<L8>(stream, new JpegDecoder());
                }

            case PerturbationKind.Rotation:
                return image.Clone(context => context
                    .Rotate((float)Amount)
                    .Crop(new Rectangle((context.GetCurrentSize().Width - width) / 2, (context.GetCurrentSize().Height - height) / 2, width, height)));
            case PerturbationKind.Zoom when Amount >= 1:
                var (cropWidth, cropHeight) = (Math.Max(1, (int)Math.Round(width / Amount)), Math.Max(1, (int)Math.Round(height / Amount)));
                return image.Clone(context => context
                    .Crop(new Rectangle((width - cropWidth) / 2, (height - cropHeight) / 2, cropWidth, cropHeight))
                    .Resize(width, height));
            case PerturbationKind.Zoom:
                var (innerWidth, innerHeight) = (Math.Max(1, (int)Math.Round(width * Amount)), Math.Max(1, (int)Math.Round(height * Amount)));
                using (var inner = image.Clone(context => context.Resize(innerWidth, innerHeight)))
                {
                    var canvas = new Image<L8>(width, height, new L8(0));
                    canvas.Mutate(context => context.DrawImage(inner, new Point((width - innerWidth) / 2, (height - innerHeight) / 2), 1f));
                    return canvas;
                }

            case PerturbationKind.Brightness:
                return MapPixels(image, v => v * Amount);
            case PerturbationKind.Contrast:
                var mean = MeanGrey(image);
                return MapPixels(image, v => mean + ((v - mean) * Amount));
            case PerturbationKind.Gamma:
                return MapPixels(image, v => 255 * Math.Pow(v / 255.0, Amount));
            case PerturbationKind.HorizontalFlip:
                return image.Clone(context => context.Flip(FlipMode.Horizontal));
            case PerturbationKind.Downscale:
                var scale = Amount / Math.Min(width, height);
                return image.Clone(context => context.Resize(
                    Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale))));
            default:
                throw new InvalidOperationException($"unknown perturbation {Kind}");
        }
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless <see cref="Amount"/> makes sense for <see cref="Kind"/>.</summary>
    public void Validate()
    {
        var valid = Kind switch
        {
            PerturbationKind.None or PerturbationKind.HorizontalFlip => true,
            PerturbationKind.GaussianNoise => Amount >= 0,
            PerturbationKind.Jpeg => Amount is >= 1 and <= 100,
            PerturbationKind.Rotation => Math.Abs(Amount) <= 180,
            PerturbationKind.Zoom or PerturbationKind.Brightness or PerturbationKind.Contrast or PerturbationKind.Gamma => Amount > 0,
            PerturbationKind.Downscale => Amount >= 1,
            _ => false,
        };
        if (!valid) throw new ArgumentOutOfRangeException(nameof(Amount), Amount, $"not a valid amount for {Kind}");
    }

    private static Image<L8> MapPixels(Image<L8> image, Func<double, double> map)
    {
        var pixels = new byte[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)Math.Clamp(Math.Round(map(pixels[i])), 0, 255);
        }

        return Image.LoadPixelData<L8>(pixels, image.Width, image.Height);
    }

    private static double MeanGrey(Image<L8> image)
    {
        var pixels = new byte[image.Width * image.Height];
        image.CopyPixelDataTo(pixels);
        return pixels.Average(p => (double)p);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
