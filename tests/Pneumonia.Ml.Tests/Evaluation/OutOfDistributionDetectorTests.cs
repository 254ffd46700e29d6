using System.Text.Json;
using Pneumonia.Ml.Evaluation;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Serving;
using Pneumonia.Ml.Architectures;

namespace Pneumonia.Ml.Tests.Evaluation;

public sealed class OutOfDistributionDetectorTests
{
    private const int Features = 24;

    [Fact]
    public void A_detector_is_fitted_on_an_evenly_spaced_sample_of_a_large_training_set_and_pooled_features_give_the_logits()
    {
        var preprocessor = new XrayPreprocessor(PreprocessingParameters.Default with { InputSize = 48 }, new XrayImageDecoder());
        using var train = TinyModel.Load(preprocessor, TestData.Images("train", "NORMAL", 12), TestData.Images("train", "PNEUMONIA", 12));
        using var validation = TinyModel.Load(preprocessor, TestData.Images("val", "NORMAL", 4), TestData.Images("val", "PNEUMONIA", 4));
        var architecture = ResNet18Architecture.Instance.Describe(2, 0, pretrained: true);
        using var network = NetworkArchitectures.Create(architecture, loadPretrainedWeights: true);
        using var served = ServingNetwork.CopyOf(network, architecture, ServingPrecision.Default);

        var whole = OutOfDistributionFitting.FitOn(served, train.Pixels, validation.Pixels);
        var sampled = OutOfDistributionFitting.FitOn(served, train.Pixels, validation.Pixels, maxFittingImages: 16);

        // A training run derives its validation logits from the same pooled features the detector is calibrated on.
        var logits = served.PredictLogits(validation.Pixels);
        var fromPooled = served.HeadLogits(served.PooledFeatures(validation.Pixels));
        Assert.Equal(logits.Length, fromPooled.Length);
        for (var i = 0; i < logits.Length; i++) Assert.Equal(logits[i], fromPooled[i], 1e-4);

        Assert.Equal(24, whole!.FittedOn);
        Assert.Equal(16, sampled!.FittedOn);
        Assert.Equal(8, sampled.CalibratedOn);
        Assert.NotEqual(whole.Mean, sampled.Mean);
    }

    [Fact]
    public void Flags_about_one_percent_of_fresh_in_distribution_points_and_nearly_all_shifted_ones()
    {
        var random = new Random(5);
        var mixing = Mixing(random);
        var detector = OutOfDistributionFitting.Fit(Sample(random, mixing, 3000), Sample(random, mixing, 2000), Features);

        var fresh = Sample(random, mixing, 5000);
        var flagged = Enumerable.Range(0, 5000).Count(i => detector.Check(fresh.AsSpan(i * Features, Features)).IsOutOfDistribution);
        Assert.InRange(flagged / 5000.0, 0.003, 0.025);

        // Moved 12 standard deviations along the least varied direction (off the principal subspace: the residual term's job).
        var shifted = Sample(random, mixing, 500);
        for (var i = 0; i < 500; i++)
            for (var f = 0; f < Features; f++)
                shifted[(i * Features) + f] += 12 * 0.05f * mixing[Features - 1][f];
        var caught = Enumerable.Range(0, 500).Count(i => detector.Check(shifted.AsSpan(i * Features, Features)).IsOutOfDistribution);
        Assert.True(caught >= 475, $"{caught} of 500 shifted points flagged");
        Assert.Contains("99th percentile of the scores of 2,000 validation images", detector.ThresholdRule, StringComparison.Ordinal);
    }

    [Fact]
    public void A_typical_training_point_scores_about_one()
    {
        var random = new Random(6);
        var mixing = Mixing(random);
        var train = Sample(random, mixing, 4000);
        var detector = OutOfDistributionFitting.Fit(train, Sample(random, mixing, 500), Features);

        var scores = Enumerable.Range(0, 4000).Select(i => detector.Score(train.AsSpan(i * Features, Features))).ToList();
        Assert.InRange(OutOfDistributionFitting.Percentile(scores, 0.5), 0.8, 1.1);
        Assert.InRange(detector.Score(detector.Mean), 0, 1e-6);
    }

    [Fact]
    public void Percentile_interpolates_between_order_statistics()
    {
        double[] values = [.. Enumerable.Range(1, 101).Select(i => (double)i).Reverse()];
        Assert.Equal(100, OutOfDistributionFitting.Percentile(values, 0.99), 9);
        Assert.Equal(51, OutOfDistributionFitting.Percentile(values, 0.5), 9);
        Assert.Equal(1.5, OutOfDistributionFitting.Percentile([1.0, 2.0], 0.5), 9);
    }

    [Fact]
    public void Survives_the_model_card_json_with_the_same_scores()
    {
        var random = new Random(7);
        var mixing = Mixing(random);
        var detector = OutOfDistributionFitting.Fit(Sample(random, mixing, 500), Sample(random, mixing, 100), Features);
        var point = Sample(random, mixing, 1);

        var copy = JsonSerializer.Deserialize<OutOfDistributionDetector>(JsonSerializer.Serialize(detector, ModelCardJson.Options), ModelCardJson.Options)!;

        Assert.Equal(detector.Score(point), copy.Score(point), 9);
        Assert.Equal(detector.Threshold, copy.Threshold);
    }

    [Fact]
    public void Too_few_training_images_are_refused()
    {
        var random = new Random(8);
        var mixing = Mixing(random);
        Assert.Throws<ArgumentException>(() => OutOfDistributionFitting.Fit(Sample(random, mixing, 10), Sample(random, mixing, 10), Features));
    }

    [Fact]
    public void The_bundled_model_passes_test_xrays_and_flags_images_that_are_not_xrays()
    {
        using var predictor = PneumoniaPredictor.Load(Path.Combine(TestData.RepositoryRoot, "models", "bundled"), new XrayImageDecoder());
        Assert.NotNull(predictor.Card.OutOfDistribution);

        var xrays = TestData.Images("test", "NORMAL", 20).Concat(TestData.Images("test", "PNEUMONIA", 20))
            .Select(path => predictor.Preprocessor.LoadModelPixels(File.ReadAllBytes(path))).ToList();
        var checks = predictor.PredictPixels(xrays).Select(p => p.Distribution!).ToList();
        Assert.True(checks.Count(c => c.IsOutOfDistribution) <= 2, string.Join(", ", checks.Select(c => c.Score.ToString("0.00"))));

        // Made in code (two of each kind), and a valid all-black PNG of the kind the reliability suite crafts.
        List<byte[]> others = [.. NonXrayImages.Kinds.SelectMany(kind => new[] { NonXrayImages.Create(kind, 1), NonXrayImages.Create(kind, 2) }), CraftedImages.PngClaiming(256, 256)];
        var strangers = predictor.PredictPixels([.. others.Select(predictor.Preprocessor.LoadModelPixels)]);
        Assert.All(strangers, p => Assert.True(p.Distribution!.IsOutOfDistribution, $"score {p.Distribution.Score:0.00}"));

        // The heatmap path reads the same pooled features.
        var (withHeatmap, _) = predictor.PredictWithHeatmap(others[0]);
        Assert.Equal(strangers[0].Distribution!.Score, withHeatmap.Distribution!.Score, 3);
    }

    // A random rotation (Gram-Schmidt of normal vectors): the features are correlated, the principal directions its rows.
    private static float[][] Mixing(Random random)
    {
        var rows = new List<double[]>();
        while (rows.Count < Features)
        {
            var v = Enumerable.Range(0, Features).Select(_ => Normal(random)).ToArray();
            foreach (var r in rows)
            {
                var dot = v.Zip(r).Sum(p => p.First * p.Second);
                for (var f = 0; f < Features; f++) v[f] -= dot * r[f];
            }

            var norm = Math.Sqrt(v.Sum(x => x * x));
            rows.Add([.. v.Select(x => x / norm)]);
        }

        return [.. rows.Select(r => r.Select(x => (float)x).ToArray())];
    }

    private static float[] Sample(Random random, float[][] mixing, int count)
    {
        var samples = new float[count * Features];
        for (var i = 0; i < count; i++)
        {
            for (var j = 0; j < Features; j++)
            {
                var z = (float)(Normal(random) * (j == Features - 1 ? 0.05 : 1.0 / (1 + j)));
                for (var f = 0; f < Features; f++) samples[(i * Features) + f] += z * mixing[j][f];
            }
        }

        return samples;
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
