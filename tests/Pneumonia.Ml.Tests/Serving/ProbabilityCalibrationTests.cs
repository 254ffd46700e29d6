using System.Text.Json;
using System.Text.Json.Nodes;
using Pneumonia.Ml.Evaluation;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Packages;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Ml.Tests.Serving;

public sealed class ProbabilityCalibrationTests
{
    public static TheoryData<string, int> HostileValidationSplits()
    {
        var data = new TheoryData<string, int>();
        foreach (var kind in s_kinds)
        {
            for (var seed = 1; seed <= 4; seed++) data.Add(kind, seed);
        }

        return data;
    }

    private static readonly string[] s_kinds =
        ["swapped", "separable-tiny", "separable-huge", "constant", "outlying-positives", "one-positive", "ties", "float-extremes", "noise", "ordinary"];

    /// <summary>
    /// The failure: on a hostile validation split the fit ran to slope 764, the threshold to 0, and the model
    /// answered "probability 0, PNEUMONIA". Whatever the validation split, calibration + threshold as the training
    /// pipeline chooses them must give answers whose label is (probability >= threshold), with probability 0 always
    /// NORMAL, probability 1 always PNEUMONIA, and a higher logit never a lower probability or a NORMAL after a PNEUMONIA.
    /// </summary>
    [Theory]
    [MemberData(nameof(HostileValidationSplits))]
    public void Calibration_and_threshold_never_answer_against_the_probability(string kind, int seed)
    {
        var (logits, labels) = Hostile(kind, seed);

        // The same three steps as ModelTrainingPipeline.
        var calibration = PlattScaling.Fit(logits, labels);
        var probabilities = logits.Select(calibration.Probability).ToArray();
        var threshold = ThresholdSelector.ForMinimumSensitivityWithMargin(probabilities, labels, 0.95);

        Assert.InRange(calibration.Slope, double.Epsilon, ProbabilityCalibration.MaxSlope);
        Assert.True(double.IsFinite(calibration.Intercept));
        Assert.InRange(threshold, ThresholdSelector.LowestThreshold, 1.0);
        double[] probes = [-3.4e38, -1e4, -745, -40, -1, -1e-30, 0, 1e-30, 1, 40, 745, 1e4, 3.4e38];
        var answers = logits.Concat(probes).Order()
            .Select(z => XrayPrediction.From(calibration.Probability(z), threshold, "v")).ToArray();
        Assert.All(answers, a =>
        {
            Assert.Equal(a.Probability >= threshold ? XrayPrediction.Pneumonia : XrayPrediction.Normal, a.Label);
            Assert.InRange(a.Confidence, 0.0, 1.0);
        });
        Assert.Equal(XrayPrediction.Normal, answers[0].Label);  // logit -3.4e38: probability 0
        Assert.Equal(XrayPrediction.Pneumonia, answers[^1].Label); // logit 3.4e38: probability 1
        for (var i = 1; i < answers.Length; i++)
        {
            Assert.True(answers[i].Probability >= answers[i - 1].Probability, $"probability fell between answers {i - 1} and {i}");
            Assert.False(answers[i - 1].Label == XrayPrediction.Pneumonia && answers[i].Label == XrayPrediction.Normal);
        }
    }

    [Fact]
    public void Separable_data_get_Platt_targets_instead_of_certainty()
    {
        // Logits -2, -1 (NORMAL) and 1, 2 (PNEUMONIA): targets 1/(2+2) = 1/4 and (2+1)/(2+2) = 3/4. By symmetry the
        // intercept is 0 and the slope a solves d/da = 0: (σ(a) - 3/4)·1 + (σ(2a) - 3/4)·2 = 0, i.e.
        // σ(a) + 2σ(2a) = 9/4, a = 0.6739964 (bisection). Plain maximum likelihood would run the slope to infinity.
        var calibration = PlattScaling.Fit([-2, -1, 1, 2], [false, false, true, true]);

        Assert.Null(calibration.Problem);
        Assert.Equal("platt", calibration.Method);
        Assert.Equal(0.6739963939839225, calibration.Slope, 6);
        Assert.Equal(0, calibration.Intercept, 6);
    }

    [Fact]
    public void Recovers_a_known_slope_and_intercept()
    {
        // Labels drawn from sigmoid(0.5 z - 0.3): an over-confident network whose calibrated slope is 0.5.
        var random = new Random(7);
        var logits = Enumerable.Range(0, 20_000).Select(_ => 8 * (random.NextDouble() - 0.5)).ToArray();
        var labels = logits.Select(z => random.NextDouble() < 1 / (1 + Math.Exp(-(0.5 * z - 0.3)))).ToArray();

        var calibration = PlattScaling.Fit(logits, labels);

        Assert.Equal(0.5, calibration.Slope, 0.05);
        Assert.Equal(-0.3, calibration.Intercept, 0.05);
    }

    [Fact]
    public void Logits_that_fall_with_the_labels_are_refused_and_fall_back_to_identity()
    {
        // Swapped labels: the higher the logit, the more often NORMAL.
        var calibration = PlattScaling.Fit([-2, -1, 1, 2, 3], [true, true, false, false, true]);

        Assert.Contains("do not rise", calibration.Problem, StringComparison.Ordinal);
        Assert.Equal((1.0, 0.0, "identity"), (calibration.Slope, calibration.Intercept, calibration.Method));
    }

    [Fact]
    public void A_refused_fit_is_kept_in_the_card_json_and_a_good_one_adds_nothing()
    {
        var refused = PlattScaling.Fit([-2, -1, 1, 2, 3], [true, true, false, false, true]);

        var json = JsonSerializer.Serialize(refused, ModelCardJson.Options);

        Assert.Equal(refused, JsonSerializer.Deserialize<ProbabilityCalibration>(json, ModelCardJson.Options));
        Assert.DoesNotContain("problem", JsonSerializer.Serialize(ProbabilityCalibration.Identity, ModelCardJson.Options), StringComparison.Ordinal);
    }

    [Fact]
    public void A_single_class_is_refused_naming_the_counts()
    {
        var calibration = PlattScaling.Fit([-1, 0, 1], [true, true, true]);

        Assert.Contains("3 PNEUMONIA and 0 NORMAL", calibration.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_inputs_throw_naming_the_problem()
    {
        Assert.Equal("labels", Assert.Throws<ArgumentException>(() => PlattScaling.Fit([1.0], [true, false])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => PlattScaling.Fit([], [])).ParamName);
        Assert.Contains("logits[1] = NaN", Assert.Throws<ArgumentException>(() => PlattScaling.Fit([1.0, double.NaN], [true, false])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_threshold_of_zero_is_raised_so_that_probability_zero_is_normal()
    {
        // Every positive sits at probability 0: the old selector returned 0 and called everything PNEUMONIA.
        double[] probabilities = [0, 0, 0, 0.2, 0.7];
        bool[] labels = [true, true, false, false, false];

        var threshold = ThresholdSelector.ForMinimumSensitivityWithMargin(probabilities, labels, 0.95);

        Assert.Equal(ThresholdSelector.LowestThreshold, threshold);
        Assert.Equal(XrayPrediction.Normal, XrayPrediction.From(0, threshold, "v").Label);
    }

    [Theory]
    [InlineData(0.5, 0.0)]
    [InlineData(0.5, 1.5)]
    [InlineData(0.5, double.NaN)]
    [InlineData(double.NaN, 0.5)]
    [InlineData(1.5, 0.5)]
    public void An_answer_cannot_be_made_from_an_impossible_probability_or_threshold(double probability, double threshold)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => XrayPrediction.From(probability, threshold, "v"));
    }

    [Theory]
    [InlineData("threshold", 0.0)]
    [InlineData("slope", -764.0)]
    public void A_model_whose_card_could_contradict_itself_is_not_loaded(string field, double value)
    {
        using var directory = new TempDirectory();
        var source = Path.Combine(TestData.RepositoryRoot, "models", "bundled");
        foreach (var file in Directory.GetFiles(source)) File.Copy(file, directory.Combine(Path.GetFileName(file)));
        var cardPath = directory.Combine(ModelPackage.CardFileName);
        var card = JsonNode.Parse(File.ReadAllText(cardPath))!;
        if (field == "threshold") card["threshold"] = value; else card["calibration"]!["slope"] = value;
        File.WriteAllText(cardPath, card.ToJsonString());

        var error = Assert.Throws<InvalidDataException>(() => PneumoniaPredictor.Load(directory.Path, new XrayImageDecoder()));

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    /// <summary>Validation logits (rounded through float, as the network gives them) and labels of one hostile kind.</summary>
    private static (double[] Logits, bool[] Labels) Hostile(string kind, int seed)
    {
        var random = new Random(seed);
        var n = 40 + random.Next(400);
        var labels = Enumerable.Range(0, n).Select(i => i % 3 != 0).ToArray(); // two PNEUMONIA per NORMAL, as in Kermany
        double Noise() => random.NextDouble() - 0.5;
        double Logit(int i) => kind switch
        {
            "swapped" => (labels[i] ? -3 : 3) + Noise(),
            "separable-tiny" => (labels[i] ? 1e-4 : -1e-4) * (1 + random.NextDouble()),
            "separable-huge" => (labels[i] ? 1 : -1) * (50 + (500 * random.NextDouble())),
            "constant" => 1.5,
            // 10% of the positives far below every negative: with a steep slope their probability is exactly 0.
            "outlying-positives" => labels[i] ? (i % 10 == 1 ? -40 - random.NextDouble() : 0.01 + (0.01 * random.NextDouble())) : -0.01 * random.NextDouble(),
            "one-positive" => 5 * Noise(),
            "ties" => Math.Round(2 * Noise() + (labels[i] ? 0.3 : 0)),
            "float-extremes" => (labels[i] ? 1 : -1) * float.MaxValue * random.NextDouble(),
            "noise" => 4 * Noise(),
            _ => (labels[i] ? 1.5 : -1.5) + (4 * Noise()),
        };
        if (kind == "one-positive")
        {
            // Exactly one PNEUMONIA image in the split.
            for (var i = 0; i < n; i++) labels[i] = i == 1;
        }

        return (Enumerable.Range(0, n).Select(i => (double)(float)Logit(i)).ToArray(), labels);
    }
}
