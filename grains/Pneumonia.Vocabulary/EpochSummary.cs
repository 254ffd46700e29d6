using System.Text.Json.Serialization;

namespace Pneumonia;

/// <summary>One finished epoch, kept in the model card's history.</summary>
public sealed record EpochSummary(
    int Epoch,
    double TrainingLoss,
    double TrainingAccuracy,
    double ValidationLoss,
    double ValidationAuc,
    double Seconds,
    double ImagesPerSecond)
{
    /// <summary>ROC-AUC over the clean and perturbed validation images pooled, when the run had perturbed views; it then chose the best epoch.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? PerturbedValidationAuc { get; init; }
}
