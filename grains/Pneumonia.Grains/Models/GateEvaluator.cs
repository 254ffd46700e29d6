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
        var (candidateClean, candidatePerturbed) = Score(candidate, gate, cancellationToken);
        var (productionClean, productionPerturbed) = Score(production, gate, cancellationToken);
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

    /// <summary>The model's answers on the gate images, and on each perturbed copy of them (perturbation by perturbation, in gate order).</summary>
    private (ScoredModel Clean, ScoredModel Perturbed) Score(ModelOnDisk model, GateSet gate, CancellationToken cancellationToken)
    {
        using var predictor = PneumoniaPredictor.Load(models.PathOf(model.Directory), decoder, prediction.Value.Serving);
        if (predictor.Card.Version != model.Version)
        {
            throw new InvalidDataException($"{model.Directory} holds {predictor.Card.Version}, not {model.Version}");
        }

        var views = Perturbations.Count + 1;
        var probabilities = Enumerable.Range(0, views).Select(_ => new List<double>(gate.Images.Count)).ToArray();
        foreach (var pass in gate.Images.Chunk(PassSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var pixels = new byte[views][][];
            for (var v = 0; v < views; v++) pixels[v] = new byte[pass.Length][];
            Parallel.For(0, pass.Length, i =>
            {
                var file = images.Read(pass[i].Sha256);
                // Clean: exactly as served; perturbed: applied to the full-size picture, as the robustness table does.
                pixels[0][i] = predictor.Preprocessor.LoadModelPixels(file);
                using var image = predictor.Preprocessor.Decoder.DecodeGrey(file);
                for (var p = 0; p < Perturbations.Count; p++)
                {
                    // Seeded by the image, so both models see the very same noise.
                    using var perturbed = Perturbations[p].Apply(image, seed: StableSeed(pass[i].Sha256));
                    pixels[p + 1][i] = predictor.Preprocessor.ToModelPixels(perturbed);
                }
            });
            for (var v = 0; v < views; v++) probabilities[v].AddRange(predictor.PredictPixels(pixels[v]).Select(p => p.Probability));
        }

        var threshold = predictor.Card.Threshold;
        return (new ScoredModel(probabilities[0], threshold), new ScoredModel([.. probabilities.Skip(1).SelectMany(p => p)], threshold));
    }

    private static int StableSeed(string sha256) => Convert.ToInt32(sha256[..7], 16);
}
