using Pneumonia.Abstractions;

namespace Pneumonia.Grains.Models;

/// <summary>Builds the registry's description of a version from its model card.</summary>
public static class ModelCardMapper
{
    /// <param name="card">The card as saved beside the weights.</param>
    /// <param name="directory">The version's directory relative to the model store (see <see cref="ModelStore"/>).</param>
    public static ModelVersionInfo ToVersionInfo(ModelCard card, string directory)
    {
        ArgumentNullException.ThrowIfNull(card);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return new ModelVersionInfo(
            card.Version, card.CreatedAt, card.ParentVersion, directory, card.Threshold,
            ToMetrics(card.Validation), card.Test is null ? null : ToMetrics(card.Test), card);
    }

    public static ModelMetrics ToMetrics(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var matrix = report.ConfusionMatrix;
        return new ModelMetrics(
            report.Count, report.Accuracy, report.Precision, report.Recall, report.Specificity, report.F1, report.RocAuc,
            report.PrAuc, report.BrierScore, report.ExpectedCalibrationError, report.LogLoss,
            matrix.TruePositives, matrix.FalsePositives, matrix.TrueNegatives, matrix.FalseNegatives);
    }
}
