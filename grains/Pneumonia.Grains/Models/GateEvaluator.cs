using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Grains.Hosting;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Evaluation;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Models;

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
        var comparison = PromotionGate.Compare(
            Score(candidate, gate, cancellationToken), Score(production, gate, cancellationToken), labels, promotion.Value.Tolerances);
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

    private ScoredModel Score(ModelOnDisk model, GateSet gate, CancellationToken cancellationToken)
    {
        using var predictor = PneumoniaPredictor.Load(models.PathOf(model.Directory), decoder, prediction.Value.Serving);
        if (predictor.Card.Version != model.Version)
        {
            throw new InvalidDataException($"{model.Directory} holds {predictor.Card.Version}, not {model.Version}");
        }

        var probabilities = new List<double>(gate.Images.Count);
        foreach (var pass in gate.Images.Chunk(PassSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var pixels = new byte[pass.Length][];
            Parallel.For(0, pass.Length, i => pixels[i] = predictor.Preprocessor.LoadModelPixels(images.Read(pass[i].Sha256)));
            probabilities.AddRange(predictor.PredictPixels(pixels).Select(p => p.Probability));
        }

        return new ScoredModel(probabilities, predictor.Card.Threshold);
    }
}
