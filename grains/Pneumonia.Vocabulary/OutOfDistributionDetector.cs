namespace Pneumonia;

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
}

/// <summary>Whether one image looks like the model's training X-rays.</summary>
/// <param name="Score">The detector's distance (about 1 for a typical training image; larger is stranger).</param>
/// <param name="Threshold">The model's threshold on <paramref name="Score"/>.</param>
/// <param name="IsOutOfDistribution">Score above threshold: the answer is about an image unlike any the model learnt from.</param>
public sealed record DistributionCheck(double Score, double Threshold, bool IsOutOfDistribution);
