using Pneumonia.Abstractions;
using Pneumonia.Notebooks.Charts;
using Pneumonia.Notebooks.Rendering;

namespace Pneumonia.Notebooks.Views;

/// <summary>Side-by-side comparisons of model versions and the production model's report.</summary>
public static class ModelViews
{
    /// <summary>Validation ROC-AUC and training loss per epoch, one pair of lines per version.</summary>
    public static Figure TrainingCurves(IEnumerable<ModelCard> cards) =>
        Figure.From(new LineChartSpec("Training curves", "epoch", "validation ROC-AUC / training loss",
            cards.SelectMany(card => new[]
            {
                new LineSeries($"{card.Version}: validation AUC", card.History.Select(e => (double)e.Epoch).ToArray(), card.History.Select(e => e.ValidationAuc).ToArray(), Markers: true),
                new LineSeries($"{card.Version}: training loss", card.History.Select(e => (double)e.Epoch).ToArray(), card.History.Select(e => e.TrainingLoss).ToArray(), Markers: true),
            }).ToArray()));

    /// <summary>ROC curves recorded at evaluation time (test split when present), with the chance diagonal.</summary>
    public static Figure RocCurves(IEnumerable<ModelCard> cards) =>
        Figure.From(new LineChartSpec("ROC curves", "false-positive rate", "true-positive rate",
            cards.Select(card => new LineSeries($"{card.Version} ({card.HeadlineSplit}, AUC {card.Headline.RocAuc:0.000})",
                card.Headline.RocCurve.Select(p => p.FalsePositiveRate).ToArray(), card.Headline.RocCurve.Select(p => p.TruePositiveRate).ToArray()))
            .Append(Diagonal("chance")).ToArray(), UnitSquare: true));

    /// <summary>Reliability diagram: fraction of pneumonia per predicted-probability bin (non-empty bins).</summary>
    public static Figure CalibrationCurves(IEnumerable<ModelCard> cards) =>
        Figure.From(new LineChartSpec("Calibration", "mean predicted P(pneumonia)", "fraction with pneumonia",
            cards.Select(card =>
            {
                var bins = card.Headline.CalibrationBins.Where(b => b.Count > 0).ToArray();
                return new LineSeries($"{card.Version} (ECE {card.Headline.ExpectedCalibrationError:0.000})", bins.Select(b => b.MeanPredicted).ToArray(), bins.Select(b => b.FractionPositive).ToArray(), Markers: true);
            }).Append(Diagonal("perfectly calibrated")).ToArray(), UnitSquare: true));

    /// <summary>The confusion matrix at the version's own threshold.</summary>
    public static Figure ConfusionMatrix(ModelCard card)
    {
        var c = card.Headline.ConfusionMatrix;
        return Figure.From(new HeatmapChartSpec($"Confusion matrix: {card.Version} ({card.HeadlineSplit}, threshold {card.Threshold:0.###})",
            "predicted", "actual", ["NORMAL", "PNEUMONIA"], ["NORMAL", "PNEUMONIA"],
            [[c.TrueNegatives, c.FalsePositives], [c.FalseNegatives, c.TruePositives]]));
    }

    /// <summary>One confusion matrix per version.</summary>
    public static HtmlView ConfusionMatrices(IEnumerable<ModelCard> cards) => new(string.Concat(cards.Select(c => ConfusionMatrix(c).ToHtml())));

    /// <summary>Headline metrics of several versions, one row each.</summary>
    public static HtmlView MetricsTable(IEnumerable<ModelCard> cards, string? production = null) =>
        Html.Table(["version", "production", "split", "images", "ROC-AUC", "sensitivity", "specificity", "F1", "Brier", "ECE", "threshold", "epochs", "batch", "fine-tune"],
            cards.Select(c => (IReadOnlyList<object?>)[c.Version, c.Version == production ? "yes" : "", c.HeadlineSplit, c.Headline.Count, c.Headline.RocAuc, c.Headline.Recall,
                c.Headline.Specificity, c.Headline.F1, c.Headline.BrierScore, c.Headline.ExpectedCalibrationError, c.Threshold, c.History.Count, c.Training.BatchSize, c.Training.FineTune]),
            "Model versions");

    /// <summary>The card's description of one model: what it is, how it was made, on which data.</summary>
    public static HtmlView Card(ModelCard card) =>
        Html.Table(["field", "value"],
        [
            ["version", card.Version],
            ["created", card.CreatedAt],
            ["parent", card.ParentVersion ?? "(trained from ImageNet weights)"],
            ["architecture", $"{card.Architecture.Name}, {card.Architecture.BackboneStages} stages, {card.Architecture.Parameters:N0} parameters, dropout {card.Architecture.Dropout}"],
            ["input", $"{card.Preprocessing.InputSize}x{card.Preprocessing.InputSize} grey"],
            ["calibration", $"{card.Calibration.Method} (slope {card.Calibration.Slope:0.###}, intercept {card.Calibration.Intercept:0.###})"],
            ["threshold", $"{card.Threshold:0.####}: {card.ThresholdRule}"],
            ["training", $"{card.Training.Epochs} epochs, batch {card.Training.BatchSize}, fine-tune {card.Training.FineTune}, seed {card.Training.Seed}, {card.TrainingSeconds:0.#} s"],
            ["data", $"train {card.Dataset.TrainNormal}/{card.Dataset.TrainPneumonia}, validation {card.Dataset.ValidationNormal}/{card.Dataset.ValidationPneumonia}, test {card.Dataset.TestNormal}/{card.Dataset.TestPneumonia} (NORMAL/PNEUMONIA); {card.Dataset.Description}"],
        ], $"Model card: {card.Version}");

    /// <summary>Every version the registry knows and every promotion decision.</summary>
    public static HtmlView VersionHistory(IReadOnlyList<ModelVersionInfo> versions, IReadOnlyList<PromotionDecision> decisions, ProductionModel? production) =>
        new(Html.Table(["version", "created", "parent", "validation AUC", "test AUC", "threshold"],
                versions.Select(v => (IReadOnlyList<object?>)[v.Version == production?.Version ? v.Version + " (production)" : v.Version, v.CreatedAt, v.ParentVersion, v.Validation.RocAuc, v.Test?.RocAuc, v.Threshold]),
                $"{versions.Count} versions").Html
            + Html.Table(["at", "version", "promoted", "forced", "previous", "reason"],
                decisions.Select(d => (IReadOnlyList<object?>)[d.At, d.Version, d.Promoted, d.Forced, d.PreviousVersion, d.Reason]),
                $"{decisions.Count} promotion decisions").Html);

    private static LineSeries Diagonal(string name) => new(name, [0.0, 1.0], [0.0, 1.0], Dashed: true);
}
