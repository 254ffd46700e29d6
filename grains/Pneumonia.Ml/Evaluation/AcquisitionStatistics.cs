using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Evaluation;

/// <summary>
/// How a film was acquired, as far as its pixels alone tell (exposure, contrast, border, sharpness or noise), and how
/// far a film's acquisition is from a reference set's: the Mahalanobis distance of its <see cref="Of">statistics</see>
/// from their mean and covariance over the reference images. Issue 13's round three chooses among models on the
/// gate images whose acquisition looks least like the training images', a shift found inside the training data
/// without looking at the test split, where every model's figures on the whole gate set are near perfect.
/// </summary>
public sealed class AcquisitionStatistics
{
    /// <summary>The side of the square each image is reduced to (by area averaging) before its statistics are taken.</summary>
    public const int Side = 64;

    /// <summary>The ridge added to the covariance's diagonal, as a share of its mean diagonal (so a near-constant statistic cannot dominate).</summary>
    public const double Ridge = 1e-3;

    /// <summary>What each statistic of <see cref="Of"/> is, in order.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "mean", "standard deviation", "5th percentile", "25th percentile", "50th percentile", "75th percentile", "95th percentile",
        "share below 16", "share above 240", "mean absolute neighbour difference",
    ];

    private static readonly bool[] s_classes = [false, true];

    private readonly double[] _mean;
    private readonly double[] _inverseCovariance; // row-major [Names.Count, Names.Count]

    private AcquisitionStatistics(double[] mean, double[] inverseCovariance)
    {
        _mean = mean;
        _inverseCovariance = inverseCovariance;
    }

    /// <summary>The statistics of one decoded grey image (not changed), in the order of <see cref="Names"/>, on the 0-255 scale.</summary>
    public static double[] Of(Image<L8> image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var small = image.Clone(context => context.Resize(new ResizeOptions
        {
            Size = new SixLabors.ImageSharp.Size(Side, Side),
            Mode = ResizeMode.Stretch,
            Sampler = KnownResamplers.Box,
        }));
        var pixels = new byte[Side * Side];
        small.CopyPixelDataTo(pixels);
        var sorted = pixels.Order().ToArray();
        double Percentile(double p) => sorted[(int)Math.Round(p * (sorted.Length - 1))];
        var mean = pixels.Average(p => (double)p);
        var deviation = Math.Sqrt(pixels.Average(p => (p - mean) * (p - mean)));
        long differences = 0;
        for (var y = 0; y < Side; y++)
        {
            for (var x = 0; x < Side; x++)
            {
                var here = pixels[(y * Side) + x];
                if (x + 1 < Side) differences += Math.Abs(here - pixels[(y * Side) + x + 1]);
                if (y + 1 < Side) differences += Math.Abs(here - pixels[((y + 1) * Side) + x]);
            }
        }

        return
        [
            mean, deviation, Percentile(0.05), Percentile(0.25), Percentile(0.50), Percentile(0.75), Percentile(0.95),
            pixels.Count(p => p < 16) / (double)pixels.Length, pixels.Count(p => p > 240) / (double)pixels.Length,
            differences / (double)(2 * Side * (Side - 1)),
        ];
    }

    /// <summary>Fits the mean and (ridged) covariance of the reference images' statistics.</summary>
    public static AcquisitionStatistics Fit(IReadOnlyList<double[]> reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var count = Names.Count;
        if (reference.Count <= count) throw new ArgumentException($"{reference.Count} reference images are too few to fit {count} statistics' covariance (more than {count})", nameof(reference));
        if (reference.Any(r => r.Length != count)) throw new ArgumentException($"every reference row must have the {count} statistics of Of()", nameof(reference));
        using var scope = NewDisposeScope();
        var x = tensor(reference.SelectMany(r => r).ToArray(), [reference.Count, count]);
        var mu = x.mean([0]);
        var centred = x - mu;
        var covariance = centred.t().matmul(centred) / (reference.Count - 1);
        covariance += eye(count, dtype: ScalarType.Float64) * (Ridge * covariance.diagonal().mean().item<double>());
        return new AcquisitionStatistics(mu.data<double>().ToArray(), linalg.inv(covariance).contiguous().data<double>().ToArray());
    }

    /// <summary>The Mahalanobis distance of one image's statistics from the reference images'.</summary>
    public double Distance(double[] statistics)
    {
        ArgumentNullException.ThrowIfNull(statistics);
        var count = _mean.Length;
        if (statistics.Length != count) throw new ArgumentException($"expected the {count} statistics of Of(), got {statistics.Length}", nameof(statistics));
        double squared = 0;
        for (var i = 0; i < count; i++)
        {
            for (var j = 0; j < count; j++)
            {
                squared += (statistics[i] - _mean[i]) * _inverseCovariance[(i * count) + j] * (statistics[j] - _mean[j]);
            }
        }

        return Math.Sqrt(Math.Max(0, squared));
    }

    /// <summary>
    /// The positions of the atypical part of a labelled set: in each class, the <paramref name="fraction"/> of its
    /// images (rounded up) with the largest <paramref name="distances"/>, so both classes keep their share. In
    /// ascending order of position.
    /// </summary>
    public static IReadOnlyList<int> MostAtypical(IReadOnlyList<double> distances, IReadOnlyList<bool> labels, double fraction)
    {
        ArgumentNullException.ThrowIfNull(distances);
        ArgumentNullException.ThrowIfNull(labels);
        if (distances.Count != labels.Count) throw new ArgumentException($"{distances.Count} distances for {labels.Count} labels");
        if (!(fraction > 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "a share above 0 and at most 1");
        return [.. s_classes
            .SelectMany(label =>
            {
                var positions = Enumerable.Range(0, labels.Count).Where(i => labels[i] == label).ToList();
                // Ties (identical films) go to the earlier position, so the choice is the same on every run.
                return positions.OrderByDescending(i => distances[i]).ThenBy(i => i).Take((int)Math.Ceiling(fraction * positions.Count));
            })
            .Order()];
    }
}
