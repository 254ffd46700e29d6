using Pneumonia.Ml.Data;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Serving;

/// <summary>Fits a model's <see cref="OutOfDistributionDetector"/> on the pooled features of its training and validation images.</summary>
public static class OutOfDistributionFitting
{
    /// <summary>Most principal components kept (bounds the card's size: each is one float per feature).</summary>
    public const int MaxComponents = 32;

    /// <summary>Keep components until they explain this share of the training features' variance (or <see cref="MaxComponents"/>).</summary>
    public const double ExplainedVariance = 0.95;

    /// <summary>Fewest training images a detector is fitted on.</summary>
    public const int MinimumTrainingImages = 16;

    /// <summary>
    /// Most training images the mean and covariance are fitted on (an evenly spaced sample beyond it): 10,000 rows
    /// pin down a 256-feature covariance, and scoring all 80,000 training images of a 120,000-image data set cost
    /// about five minutes per retrain on two cores (issue 16).
    /// </summary>
    public const int MaxFittingImages = 10_000;

    /// <summary>The percentile of the validation scores that becomes the threshold.</summary>
    public const double DefaultPercentile = 0.99;

    /// <summary>
    /// Fits the mean and principal subspace on <paramref name="trainFeatures"/> and sets the threshold at
    /// <paramref name="percentile"/> of the scores of <paramref name="validationFeatures"/> (images the network was not
    /// trained on, so the threshold is what unseen in-distribution images score). Both are row-major [N, C].
    /// </summary>
    /// <param name="validationName">What the validation images are, for the threshold rule (e.g. "validation images, clean and perturbed").</param>
    public static OutOfDistributionDetector Fit(
        float[] trainFeatures, float[] validationFeatures, int featureCount, double percentile = DefaultPercentile, string validationName = "validation images")
    {
        ArgumentNullException.ThrowIfNull(trainFeatures);
        ArgumentNullException.ThrowIfNull(validationFeatures);
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 2);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(percentile, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(percentile, 1);
        if (trainFeatures.Length % featureCount != 0 || validationFeatures.Length % featureCount != 0)
            throw new ArgumentException($"feature arrays are not a whole number of {featureCount}-feature rows");
        var trainCount = trainFeatures.Length / featureCount;
        var validationCount = validationFeatures.Length / featureCount;
        if (trainCount < MinimumTrainingImages) throw new ArgumentException($"{trainCount} training images are too few to fit a detector (at least {MinimumTrainingImages})");
        if (validationCount == 0) throw new ArgumentException("no validation images to calibrate the threshold on");

        float[] mean;
        double[] eigenvalues;
        float[][] eigenvectors;
        using (NewDisposeScope())
        {
            var x = tensor(trainFeatures, [trainCount, featureCount]).to_type(ScalarType.Float64);
            var mu = x.mean([0]);
            var centred = x - mu;
            var covariance = centred.t().matmul(centred) / (trainCount - 1);
            var (values, vectors) = linalg.eigh(covariance); // ascending
            mean = mu.to_type(ScalarType.Float32).data<float>().ToArray();
            eigenvalues = values.flip(0).data<double>().ToArray();
            var columns = vectors.flip(1).t().contiguous().to_type(ScalarType.Float32).data<float>().ToArray();
            eigenvectors = Enumerable.Range(0, featureCount).Select(j => columns.AsSpan(j * featureCount, featureCount).ToArray()).ToArray();
        }

        var total = eigenvalues.Sum(v => Math.Max(0, v));
        var kept = 0;
        double explained = 0;
        // n images span at most n - 1 directions; one more is left for the residual variance.
        while (kept < Math.Min(MaxComponents, Math.Min(featureCount, trainCount - 1) - 1) && explained < ExplainedVariance * total)
        {
            explained += Math.Max(0, eigenvalues[kept]);
            kept++;
        }

        // Floors keep a degenerate direction (a feature that never fires) from dividing by zero.
        var floor = Math.Max(total / featureCount * 1e-6, 1e-12);
        var residual = Math.Max(floor, (total - explained) / (featureCount - kept));
        var detector = new OutOfDistributionDetector
        {
            Method = OutOfDistributionDetector.MahalanobisPca,
            Mean = mean,
            Components = eigenvectors[..kept],
            ComponentVariances = [.. eigenvalues[..kept].Select(v => Math.Max(floor, v))],
            ResidualVariance = residual,
            Threshold = 0,
            ThresholdRule = "",
            FittedOn = trainCount,
            CalibratedOn = validationCount,
        };
        var scores = Enumerable.Range(0, validationCount)
            .Select(i => detector.Score(validationFeatures.AsSpan(i * featureCount, featureCount)))
            .ToArray();
        return detector with
        {
            Threshold = Percentile(scores, percentile),
            ThresholdRule = $"{percentile * 100:0.#}th percentile of the scores of {validationCount:N0} {validationName} " +
                $"({kept} principal components of {trainCount:N0} training images' {featureCount} pooled features, {explained / total:P0} of their variance)",
        };
    }

    /// <summary>
    /// Fits a detector for <paramref name="network"/> (as served) on the pooled features of the training (at most
    /// <paramref name="maxFittingImages"/> of them, evenly spaced) and validation images (uint8 [N,1,S,S]); null with fewer than <see cref="MinimumTrainingImages"/> training images or
    /// no validation images.
    /// </summary>
    /// <param name="perturbedValidation">
    /// The validation images under perturbations (uint8 [N,1,S,S] each), whose scores set the threshold with the clean
    /// ones: for a model made to answer noisier or darker films, those are not strangers.
    /// </param>
    public static OutOfDistributionDetector? FitOn(
        ServingNetwork network, Tensor trainPixels, Tensor validationPixels, IReadOnlyList<Tensor>? perturbedValidation = null,
        int maxFittingImages = MaxFittingImages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(trainPixels);
        ArgumentNullException.ThrowIfNull(validationPixels);
        perturbedValidation ??= [];
        float[] validationFeatures = [.. new[] { validationPixels }.Concat(perturbedValidation)
            .SelectMany(pixels => network.PooledFeatures(pixels, cancellationToken: cancellationToken))];
        return FitOn(network, trainPixels, validationFeatures, perturbedValidation.Count, maxFittingImages, cancellationToken);
    }

    /// <summary>
    /// <see cref="FitOn(ServingNetwork, Tensor, Tensor, IReadOnlyList{Tensor}?, int, CancellationToken)"/> with the
    /// validation images' pooled features already computed (<see cref="ServingNetwork.PooledFeatures"/>: a training
    /// run has them from its calibration), the clean images' first, then <paramref name="perturbedViews"/> views'.
    /// </summary>
    public static OutOfDistributionDetector? FitOn(
        ServingNetwork network, Tensor trainPixels, float[] validationFeatures, int perturbedViews,
        int maxFittingImages = MaxFittingImages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(trainPixels);
        ArgumentNullException.ThrowIfNull(validationFeatures);
        var featureCount = network.FeatureCount;
        if (trainPixels.shape[0] < MinimumTrainingImages || validationFeatures.Length == 0) return null;
        var trainCount = trainPixels.shape[0];
        using var sample = trainCount <= maxFittingImages
            ? null
            : trainPixels.index_select(0, tensor(EvenlySpacedSample.Positions(trainCount, maxFittingImages)));
        return Fit(
            network.PooledFeatures(sample ?? trainPixels, cancellationToken: cancellationToken),
            validationFeatures,
            featureCount,
            validationName: perturbedViews == 0 ? "validation images" : $"validation images, clean and under {perturbedViews} perturbations");
    }

    /// <summary>The <paramref name="p"/>-quantile with linear interpolation between order statistics.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("no values", nameof(values));
        var sorted = values.Order().ToArray();
        var position = p * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }

}
