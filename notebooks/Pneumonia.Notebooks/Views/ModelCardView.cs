using System.Text.Json;
using Pneumonia.Abstractions;

namespace Pneumonia.Notebooks.Views;

/// <summary>
/// The parts of a model card (Pneumonia.Ml's ModelCard, carried as JSON in <see cref="ModelVersionInfo.CardJson"/>)
/// that the notebooks plot. Read-only views of what training recorded once at evaluation time: ROC points,
/// reliability bins and confusion counts are never recomputed here. Reading the JSON (rather than referencing
/// Pneumonia.Ml) keeps TorchSharp out of the notebook kernel.
/// </summary>
public sealed record ModelCardView(
    string Version,
    DateTimeOffset CreatedAt,
    string? ParentVersion,
    double Threshold,
    string ThresholdRule,
    CardArchitecture Architecture,
    CardPreprocessing Preprocessing,
    CardCalibration Calibration,
    CardTraining Training,
    IReadOnlyList<CardEpoch> History,
    double TrainingSeconds,
    CardDataset Dataset,
    CardEvaluation Validation,
    CardEvaluation? Test)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static ModelCardView Parse(ModelVersionInfo info) =>
        JsonSerializer.Deserialize<ModelCardView>(info.CardJson, Json)
            ?? throw new InvalidOperationException($"Model {info.Version} has an empty card.");

    /// <summary>The test report when there is one (it is the honest one), else validation.</summary>
    public CardEvaluation Headline => Test ?? Validation;

    public string HeadlineSplit => Test is null ? "validation" : "test";
}

public sealed record CardArchitecture(string Name, int BackboneStages, double Dropout, long Parameters, string Pretrained);

public sealed record CardPreprocessing(int InputSize);

public sealed record CardCalibration(string Method, double Slope, double Intercept);

public sealed record CardTraining(int Epochs, int BatchSize, bool FineTune, int FirstFineTunedStage, double HeadLearningRate, double BackboneLearningRate, long Seed);

public sealed record CardEpoch(int Epoch, double TrainingLoss, double TrainingAccuracy, double ValidationLoss, double ValidationAuc, double Seconds);

public sealed record CardDataset(string SnapshotHash, int TrainNormal, int TrainPneumonia, int ValidationNormal, int ValidationPneumonia, int TestNormal, int TestPneumonia, string Description);

public sealed record CardConfusion(int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives);

public sealed record CardRocPoint(double Threshold, double FalsePositiveRate, double TruePositiveRate);

public sealed record CardCalibrationBin(double Lower, double Upper, int Count, double MeanPredicted, double FractionPositive);

public sealed record CardEvaluation(
    int Count, int Positives, int Negatives, double Threshold, double Accuracy, double Precision, double Recall, double Specificity, double F1,
    double RocAuc, double PrAuc, double BrierScore, double ExpectedCalibrationError, double LogLoss,
    CardConfusion ConfusionMatrix, IReadOnlyList<CardRocPoint> RocCurve, IReadOnlyList<CardCalibrationBin> CalibrationBins);
