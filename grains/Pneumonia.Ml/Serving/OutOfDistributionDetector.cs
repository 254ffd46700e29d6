using static TorchSharp.torch;

namespace Pneumonia.Ml.Serving;

/// <summary>
/// Says whether an image looks like the X-rays a model was trained on, from the network's pooled features (the vector
/// its linear head reads): a Mahalanobis distance in the principal subspace of the training images' features plus the
/// residual off that subspace, thresholded at a high percentile of the same score on validation images. Stored in
/// the model card; a photo, a document, a blank or noise image lands far from every training X-ray in this space even
/// when the classifier's probability is confidently wrong.
/// </summary>
/// <remarks>
/// Score: with x the features minus <see cref="Mean"/>, p_j = c_j . x the projections on the
/// <see cref="Components"/>, score = sqrt((sum_j p_j^2 / v_j + (|x|^2 - sum_j p_j^2) / r) / C), where v_j are the
/// <see cref="ComponentVariances"/>, r is <see cref="ResidualVariance"/> and C the feature count: a root-mean-square
/// standardised distance, about 1 for a typical training image. A full covariance would be a C x C matrix in the card
/// (65,536 numbers for 256 features); the subspace keeps the directions that carry most of the variance and pools
/// the rest into one variance.
/// </remarks>
public sealed record OutOfDistributionDetector
{
    /// <summary>The method name written to the card.</summary>
    public const string MahalanobisPca = "mahalanobis-pca";

    /// <summary>Most principal components kept (bounds the card's size: each is one float per feature).</summary>
    public const int MaxComponents = 32;

    /// <summary>Keep components until they explain this share of the training features' variance (or <see cref="MaxComponents"/>).</summary>
    public const double ExplainedVariance = 0.95;

    /// <summary>Fewest training images a detector is fitted on.</summary>
    public const int MinimumTrainingImages = 16;

    /// <summary>The percentile of the validation scores that becomes the threshold.</summary>
    public const double DefaultPercentile = 0.99;

    public required string Method { get; init; }

    /// <summary>Mean pooled feature vector of the training images.</summary>
    public required float[] Mean { get; init; }

    /// <summary>Unit principal directions of the training features, largest variance first.</summary>
    public required float[][] Components { get; init; }

    /// <summary>Variance of the training features along each of <see cref="Components"/>.</summary>
    public required double[] ComponentVariances { get; init; }

    /// <summary>Mean variance per dimension off the principal subspace.</summary>
    public required double ResidualVariance { get; init; }

    /// <summary>A score above this is out of distribution.</summary>
    public required double Threshold { get; init; }

    /// <summary>How <see cref="Threshold"/> was chosen, e.g. "99th percentile of the scores of 1,071 validation images".</summary>
    public required string ThresholdRule { get; init; }

    /// <summary>Training images the mean and components were estimated from.</summary>
    public required int FittedOn { get; init; }

    /// <summary>Validation images the threshold was calibrated on.</summary>
    public required int CalibratedOn { get; init; }

    /// <summary>Value equality, the arrays compared element by element (so a card read back equals the one written).</summary>
    public bool Equals(OutOfDistributionDetector? other) =>
        other is not null &&
        Method == other.Method && Threshold.Equals(other.Threshold) && ThresholdRule == other.ThresholdRule &&
        ResidualVariance.Equals(other.ResidualVariance) && FittedOn == other.FittedOn && CalibratedOn == other.CalibratedOn &&
        Mean.AsSpan().SequenceEqual(other.Mean) && ComponentVariances.AsSpan().SequenceEqual(other.ComponentVariances) &&
        Components.Length == other.Components.Length && Components.Zip(other.Components).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second));

    public override int GetHashCode() => HashCode.Combine(Method, Threshold, FittedOn, CalibratedOn, Mean.Length, Components.Length);

    /// <summary>The score of one pooled feature vector (see the remarks).</summary>
    public double Score(ReadOnlySpan<float> features)
    {
        if (features.Length != Mean.Length)
            throw new ArgumentException($"{features.Length} features, the detector was fitted on {Mean.Length}", nameof(features));
        double squaredNorm = 0;
        Span<double> centred = features.Length <= 1024 ? stackalloc double[features.Length] : new double[features.Length];
        for (var i = 0; i < features.Length; i++)
        {
            centred[i] = features[i] - Mean[i];
            squaredNorm += centred[i] * centred[i];
        }

        double inSubspace = 0, projected = 0;
        for (var j = 0; j < Components.Length; j++)
        {
            var component = Components[j];
            double p = 0;
            for (var i = 0; i < centred.Length; i++) p += component[i] * centred[i];
            projected += p * p;
            inSubspace += p * p / ComponentVariances[j];
        }

        var residual = Math.Max(0, squaredNorm - projected) / ResidualVariance;
        return Math.Sqrt((inSubspace + residual) / features.Length);
    }

    /// <summary>The check of one pooled feature vector.</summary>
    public DistributionCheck Check(ReadOnlySpan<float> features)
    {
        var score = Score(features);
        return new DistributionCheck(score, Threshold, score > Threshold);
    }

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
            Method = MahalanobisPca,
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
    /// Fits a detector for <paramref name="network"/> (as served) on the pooled features of the training and
    /// validation images (uint8 [N,1,S,S]); null with fewer than <see cref="MinimumTrainingImages"/> training images or
    /// no validation images.
    /// </summary>
    /// <param name="perturbedValidation">
    /// The validation images under perturbations (uint8 [N,1,S,S] each), whose scores set the threshold with the clean
    /// ones: for a model made to answer noisier or darker films, those are not strangers.
    /// </param>
    public static OutOfDistributionDetector? FitOn(
        ServingNetwork network, Tensor trainPixels, Tensor validationPixels, IReadOnlyList<Tensor>? perturbedValidation = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(trainPixels);
        ArgumentNullException.ThrowIfNull(validationPixels);
        perturbedValidation ??= [];
        var featureCount = network.FeatureCount;
        if (trainPixels.shape[0] < MinimumTrainingImages || validationPixels.shape[0] == 0) return null;
        float[] validationFeatures = [.. new[] { validationPixels }.Concat(perturbedValidation)
            .SelectMany(pixels => network.PooledFeatures(pixels, cancellationToken: cancellationToken))];
        return Fit(
            network.PooledFeatures(trainPixels, cancellationToken: cancellationToken),
            validationFeatures,
            featureCount,
            validationName: perturbedValidation.Count == 0 ? "validation images" : $"validation images, clean and under {perturbedValidation.Count} perturbations");
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

/// <summary>Whether one image looks like the model's training X-rays.</summary>
/// <param name="Score">The detector's distance (about 1 for a typical training image; larger is stranger).</param>
/// <param name="Threshold">The model's threshold on <paramref name="Score"/>.</param>
/// <param name="IsOutOfDistribution">Score above threshold: the answer is about an image unlike any the model learnt from.</param>
public sealed record DistributionCheck(double Score, double Threshold, bool IsOutOfDistribution);
