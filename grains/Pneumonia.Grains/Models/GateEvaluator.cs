using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Hosting;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Evaluation;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Grains.Models;

/// <summary>A model version to score: its name and its directory relative to the model store.</summary>
public sealed record ModelOnDisk(string Version, string Directory);

/// <summary>
/// Scores a candidate and the production model on the gate set, each loaded and prepared exactly as the predictor
/// silos serve it (<see cref="PneumoniaPredictor"/> in the serving precision), and lets <see cref="PromotionGate"/>
/// decide. Blocking (a few seconds of inference): call it on a training or evaluation thread, never in a grain turn.
/// </summary>
public sealed class GateEvaluator(
    IImageStore images,
    IModelStore models,
    XrayImageDecoder decoder,
    IOptions<PromotionOptions> promotion,
    IOptions<PredictionOptions> prediction,
    TimeProvider time)
{
    private const int PassSize = 64;

    public GateReport Evaluate(ModelOnDisk candidate, ModelOnDisk production, GateSet gate, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(production);
        ArgumentNullException.ThrowIfNull(gate);
        var labels = gate.Images.Select(i => i.Label == ImageLabel.Pneumonia).ToArray();
        using var candidateModel = Load(candidate);
        using var productionModel = Load(production);
        // A retrain's candidate preprocesses as its parent does: each gate image is then decoded and perturbed once for
        // both models, not once per model.
        var scores = candidateModel.Card.Preprocessing == productionModel.Card.Preprocessing
            ? Score([candidateModel, productionModel], gate, cancellationToken)
            : [.. Score([candidateModel], gate, cancellationToken), .. Score([productionModel], gate, cancellationToken)];
        var ((candidateClean, candidatePerturbed), (productionClean, productionPerturbed)) = (scores[0], scores[1]);
        var perturbedLabels = Perturbations.SelectMany(_ => labels).ToArray();
        var comparison = PromotionGate.Compare(
            candidateClean, productionClean, labels, promotion.Value.Tolerances,
            Perturbations.Count == 0 ? null : new PerturbedView(candidatePerturbed, productionPerturbed, perturbedLabels, string.Join(", ", Perturbations.Select(p => p.Name))));
        return new GateReport(
            comparison.Outcome switch
            {
                GateOutcome.Passed => GateVerdict.Passed,
                GateOutcome.Refused => GateVerdict.Refused,
                _ => GateVerdict.NotEnoughEvidence,
            },
            candidate.Version, production.Version, gate.Version, comparison.Normal, comparison.Pneumonia,
            [.. comparison.Figures.Select(f => new GateFigure(
                f.Name, f.Candidate, f.Production, f.Difference, f.Lower95, f.Upper95, f.PValue, f.HigherIsBetter, f.Tolerance, f.Passed, f.Method))],
            comparison.Summary,
            time.GetUtcNow());
    }

    /// <summary>
    /// The shifts the gate also judges on: real films arrive noisier, recompressed and exposed differently from the
    /// training copies, and a candidate whose threshold moved calls those normals pneumonia (what the clean,
    /// near-separable gate set cannot show). The same seeds for both models: the comparison stays paired.
    /// </summary>
    private static readonly IReadOnlyList<XrayPerturbation> Perturbations =
    [
        new(PerturbationKind.GaussianNoise, 8),
        new(PerturbationKind.Jpeg, 30),
        new(PerturbationKind.Gamma, 0.7),
    ];

    private PneumoniaPredictor Load(ModelOnDisk model)
    {
        var predictor = PneumoniaPredictor.Load(models.PathOf(model.Directory), decoder, prediction.Value.Serving);
        if (predictor.Card.Version != model.Version)
        {
            predictor.Dispose();
            throw new InvalidDataException($"{model.Directory} holds {predictor.Card.Version}, not {model.Version}");
        }

        return predictor;
    }

    /// <summary>
    /// Each model's answers on the gate images, and on each perturbed copy of them (perturbation by perturbation, in
    /// gate order); the models share their preprocessing, so the pixels are made once for all of them.
    /// </summary>
    private List<(ScoredModel Clean, ScoredModel Perturbed)> Score(
        IReadOnlyList<PneumoniaPredictor> predictors, GateSet gate, CancellationToken cancellationToken)
    {
        var preprocessor = predictors[0].Preprocessor;
        var views = Perturbations.Count + 1;
        var probabilities = predictors.Select(_ => Enumerable.Range(0, views).Select(_ => new List<double>(gate.Images.Count)).ToArray()).ToArray();
        foreach (var pass in gate.Images.Chunk(PassSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var pixels = new byte[views][][];
            for (var v = 0; v < views; v++) pixels[v] = new byte[pass.Length][];
            Parallel.For(0, pass.Length, i =>
            {
                var file = images.Read(pass[i].Sha256);
                // Clean: exactly as served; perturbed: applied to the full-size picture, as the robustness table does.
                pixels[0][i] = preprocessor.LoadModelPixels(file);
                using var image = preprocessor.Decoder.DecodeGrey(file);
                for (var p = 0; p < Perturbations.Count; p++)
                {
                    // Seeded by the image, so both models see the very same noise.
                    using var perturbed = Perturbations[p].Apply(image, seed: StableSeed(pass[i].Sha256));
                    pixels[p + 1][i] = preprocessor.ToModelPixels(perturbed);
                }
            });
            for (var m = 0; m < predictors.Count; m++)
                for (var v = 0; v < views; v++) probabilities[m][v].AddRange(predictors[m].PredictPixels(pixels[v]).Select(p => p.Probability));
        }

        return [.. predictors.Select((predictor, m) => (
            new ScoredModel(probabilities[m][0], predictor.Card.Threshold),
            new ScoredModel([.. probabilities[m].Skip(1).SelectMany(p => p)], predictor.Card.Threshold)))];
    }

    private static int StableSeed(string sha256) => Convert.ToInt32(sha256[..7], 16);
}
