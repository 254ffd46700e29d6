using Pneumonia.Ml.Evaluation;

namespace Pneumonia.Ml.Tests.Evaluation;

/// <summary>The promotion gate's decision rule on hand-made scores whose figures can be worked out by hand.</summary>
public sealed class PromotionGateTests
{
    // 120 NORMAL then 120 PNEUMONIA gate images: enough of each class for the default minimum of 100.
    private static readonly bool[] Labels = [.. Enumerable.Repeat(false, 120), .. Enumerable.Repeat(true, 120)];

    /// <summary>Normals spread over 0.01..0.40, pneumonias over 0.60..0.99: perfectly ranked, all right at 0.5.</summary>
    private static double[] Separated() =>
        [.. Enumerable.Range(0, 120).Select(i => 0.01 + 0.39 * i / 119.0), .. Enumerable.Range(0, 120).Select(i => 0.60 + 0.39 * i / 119.0)];

    [Fact]
    public void The_same_model_passes_with_every_difference_zero()
    {
        var production = new ScoredModel(Separated(), 0.5);

        var result = PromotionGate.Compare(production, production, Labels, new GateTolerances());

        Assert.Equal(GateOutcome.Passed, result.Outcome);
        Assert.Equal((120, 120), (result.Normal, result.Pneumonia));
        Assert.Equal(["roc_auc", "sensitivity", "specificity", "brier", "ece"], result.Figures.Select(f => f.Name));
        Assert.All(result.Figures, f => Assert.Equal(0, f.Difference, 12));
        Assert.All(result.Figures, f => Assert.True(f.Passed));
        Assert.StartsWith("passes the gate on 120 NORMAL and 120 PNEUMONIA gate images", result.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_candidate_whose_threshold_calls_18_more_normals_pneumonia_is_refused_on_specificity()
    {
        // The retrain: same ranking, but 18 normal films now land over the candidate's threshold.
        var scores = Separated();
        var candidateScores = scores.ToArray();
        for (var i = 102; i < 120; i++) candidateScores[i] = 0.55;
        var production = new ScoredModel(scores, 0.5);
        var candidate = new ScoredModel(candidateScores, 0.5);

        var result = PromotionGate.Compare(candidate, production, Labels, new GateTolerances());

        Assert.Equal(GateOutcome.Refused, result.Outcome);
        var specificity = result.Figures.Single(f => f.Name == "specificity");
        Assert.False(specificity.Passed);
        Assert.Equal(102 / 120.0, specificity.Candidate, 12);
        Assert.Equal(1.0, specificity.Production, 12);
        Assert.Equal(-18 / 120.0, specificity.Difference, 12);
        // Exact McNemar on 18 discordant pairs all one way: p = 2 * 0.5^18.
        Assert.Equal(2 * Math.Pow(0.5, 18), specificity.PValue!.Value, 15);
        Assert.True(result.Figures.Single(f => f.Name == "sensitivity").Passed);
        Assert.Contains("specificity 0.8500 vs 1.0000", result.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_significant_drop_refuses_even_within_the_tolerance()
    {
        // 12 of 120 pneumonias missed only by the candidate: a 0.10 drop, allowed by a 0.2 tolerance, but p = 2 * 0.5^12.
        var scores = Separated();
        var candidateScores = scores.ToArray();
        for (var i = 120; i < 132; i++) candidateScores[i] = 0.45;
        var tolerances = new GateTolerances(MaxSensitivityDrop: 0.2, MaxAucDrop: 1, MaxBrierIncrease: 1, MaxEceIncrease: 1);

        var result = PromotionGate.Compare(new ScoredModel(candidateScores, 0.5), new ScoredModel(scores, 0.5), Labels, tolerances);

        var sensitivity = result.Figures.Single(f => f.Name == "sensitivity");
        Assert.Equal(-0.1, sensitivity.Difference, 12);
        Assert.Equal(2 * Math.Pow(0.5, 12), sensitivity.PValue!.Value, 15);
        Assert.False(sensitivity.Passed);
        Assert.Equal(GateOutcome.Refused, result.Outcome);
    }

    [Fact]
    public void A_ranking_that_gets_worse_beyond_the_tolerance_is_refused_on_roc_auc()
    {
        // The candidate scores 30 normals above every pneumonia: AUC falls from 1 to 1 - 30/120.
        var scores = Separated();
        var candidateScores = scores.ToArray();
        for (var i = 0; i < 30; i++) candidateScores[i] = 0.995;
        var tolerances = new GateTolerances(MaxSpecificityDrop: 1, MaxBrierIncrease: 1, MaxEceIncrease: 1, SignificanceLevel: 1e-12);

        var result = PromotionGate.Compare(new ScoredModel(candidateScores, 0.999), new ScoredModel(scores, 0.5), Labels, tolerances);

        var auc = result.Figures.Single(f => f.Name == "roc_auc");
        Assert.Equal(0.75, auc.Candidate, 12);
        Assert.Equal(1.0, auc.Production, 12);
        Assert.True(auc.Lower95 < -0.005);
        Assert.False(auc.Passed);
    }

    [Fact]
    public void Worse_calibration_beyond_the_tolerance_is_refused_on_the_brier_score()
    {
        // Same decisions, but the candidate says 0.49 / 0.51 where production was confident: Brier rises to 0.2401.
        var candidate = new ScoredModel([.. Enumerable.Repeat(0.49, 120), .. Enumerable.Repeat(0.51, 120)], 0.5);
        var production = new ScoredModel([.. Enumerable.Repeat(0.0, 120), .. Enumerable.Repeat(1.0, 120)], 0.5);

        var result = PromotionGate.Compare(candidate, production, Labels, new GateTolerances(MaxAucDrop: 1));

        var brier = result.Figures.Single(f => f.Name == "brier");
        Assert.Equal(0.2401, brier.Candidate, 12);
        Assert.Equal(0, brier.Production, 12);
        Assert.False(brier.Passed);
        Assert.False(brier.HigherIsBetter);
        Assert.Equal(GateOutcome.Refused, result.Outcome);
    }

    [Fact]
    public void A_candidate_equal_on_clean_images_but_overcalling_perturbed_normals_is_refused_on_the_perturbed_view()
    {
        // The benchmark's retrain: the clean gate set cannot tell the models apart, shifted copies of its normals can.
        var clean = new ScoredModel(Separated(), 0.5);
        var perturbedProduction = Separated();
        var perturbedCandidate = perturbedProduction.ToArray();
        for (var i = 90; i < 120; i++) perturbedCandidate[i] = 0.6;
        var perturbed = new PerturbedView(new ScoredModel(perturbedCandidate, 0.5), new ScoredModel(perturbedProduction, 0.5), Labels, "noise");

        var result = PromotionGate.Compare(clean, clean, Labels, new GateTolerances(), perturbed);

        Assert.Equal(GateOutcome.Refused, result.Outcome);
        Assert.All(result.Figures.Where(f => !f.Name.EndsWith("(perturbed)", StringComparison.Ordinal)), f => Assert.True(f.Passed, f.Name));
        var specificity = result.Figures.Single(f => f.Name == "specificity (perturbed)");
        Assert.False(specificity.Passed);
        Assert.Equal(-30 / 120.0, specificity.Difference, 12);
        Assert.Contains("perturbed copies of the gate images (noise)", specificity.Method, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(99, 120)]
    [InlineData(120, 40)]
    [InlineData(1, 1)]
    public void Too_few_gate_images_of_a_class_is_not_enough_evidence_never_a_pass(int normal, int pneumonia)
    {
        bool[] labels = [.. Enumerable.Repeat(false, normal), .. Enumerable.Repeat(true, pneumonia)];
        double[] scores = [.. Enumerable.Repeat(0.1, normal), .. Enumerable.Repeat(0.9, pneumonia)];
        var model = new ScoredModel(scores, 0.5);

        var result = PromotionGate.Compare(model, model, labels, new GateTolerances());

        Assert.Equal(GateOutcome.NotEnoughEvidence, result.Outcome);
        Assert.Contains($"{normal} NORMAL and {pneumonia} PNEUMONIA", result.Summary, StringComparison.Ordinal);
        Assert.Contains("at least 100 of each", result.Summary, StringComparison.Ordinal);
    }
}
