using Pneumonia.Ml.Evaluation;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Cli;

/// <summary>
/// What <c>evaluate</c> scores: one model's answers as served, or a combination of answers for each image (an
/// ensemble of models, each image and its mirror) whose mean probability is recalibrated, with its own threshold, on
/// the validation split (<see cref="CombinedCalibration"/>). Each member decodes and preprocesses with its own card,
/// so members of different input sizes combine.
/// </summary>
internal sealed class EvaluatedAnswers : IDisposable
{
    private const int BatchSize = 32;
    private static readonly XrayPerturbation Mirror = new(PerturbationKind.HorizontalFlip);

    private readonly IReadOnlyList<PneumoniaPredictor> _members;
    private readonly bool _mirrorAverage;
    private CombinedCalibration? _combined;

    public EvaluatedAnswers(IReadOnlyList<PneumoniaPredictor> members, bool mirrorAverage)
    {
        if (members.Count == 0) throw new ArgumentException("an evaluation needs a model", nameof(members));
        _members = members;
        _mirrorAverage = mirrorAverage;
    }

    /// <summary>The first model, whose card names the preprocessing limits and the minimum sensitivity.</summary>
    public PneumoniaPredictor First => _members[0];

    /// <summary>More than one answer per image: the mean needs <see cref="FitOnValidation"/> before it is scored.</summary>
    public bool Combines => _members.Count > 1 || _mirrorAverage;

    /// <summary>Forward passes per image.</summary>
    public int ViewsPerImage => _members.Count * (_mirrorAverage ? 2 : 1);

    public double Threshold => Combines
        ? (_combined ?? throw new InvalidOperationException("the combination is not fitted yet")).Threshold
        : First.Card.Threshold;

    /// <summary>The members' versions, then "+mirror" with mirroring.</summary>
    public string Version => string.Join('+', _members.Select(m => m.Card.Version)) + (_mirrorAverage ? "+mirror" : "");

    /// <summary>In words, for the report: what the mean is taken over.</summary>
    public string Describe()
    {
        var models = string.Join(", ", _members.Select(m => $"`{m.Card.Version}` ({m.Precision})"));
        var what = _members.Count > 1 ? $"the calibrated probabilities of {_members.Count} models, {models}" : $"the calibrated probabilities of {models}";
        return _mirrorAverage ? $"{what}, each for the image and its left-right mirror" : what;
    }

    /// <summary>
    /// Fits the combination's calibration and threshold on validation images, clean and under each perturbation of
    /// <see cref="XrayPerturbation.ValidationSuite"/>, pooled: as training fits a model's with perturbed validation.
    /// </summary>
    public CombinedCalibration FitOnValidation(IReadOnlyList<string> files, IReadOnlyList<bool> labels)
    {
        if (!Combines) throw new InvalidOperationException("a single model keeps its card's calibration and threshold");
        var pooled = new List<double>();
        var pooledLabels = new List<bool>();
        foreach (var perturbation in XrayPerturbation.RobustnessSuite)
        {
            pooled.AddRange(MeanProbabilities(files, perturbation, answered: null));
            pooledLabels.AddRange(labels);
        }

        _combined = CombinedCalibration.Fit(pooled, pooledLabels, First.Card.Training.MinimumSensitivity);
        return _combined;
    }

    /// <summary>
    /// The calibrated probability of PNEUMONIA for each image file, decoded, perturbed (null: as served, unchanged) and
    /// classified; and, for a single model, the share its out-of-distribution check flags (null when it has none, or
    /// for a combination).
    /// </summary>
    /// <param name="answered">Called with the number of forward passes done so far.</param>
    public (double[] Probabilities, double? FlaggedShare) Score(IReadOnlyList<string> files, XrayPerturbation? perturbation, Action<int>? answered = null)
    {
        if (!Combines)
        {
            var predictions = Predict(First, files, perturbation, mirrored: false, answered);
            double? flagged = predictions.All(p => p.Distribution is null)
                ? null
                : predictions.Count(p => p.Distribution!.IsOutOfDistribution) / (double)predictions.Count;
            return ([.. predictions.Select(p => p.Probability)], flagged);
        }

        var combined = _combined ?? throw new InvalidOperationException("fit the combination on the validation split before scoring it");
        return ([.. MeanProbabilities(files, perturbation, answered).Select(combined.Probability)], null);
    }

    private double[] MeanProbabilities(IReadOnlyList<string> files, XrayPerturbation? perturbation, Action<int>? answered)
    {
        var sums = new double[files.Count];
        var views = 0;
        foreach (var member in _members)
        {
            foreach (var mirrored in _mirrorAverage ? [false, true] : new[] { false })
            {
                var done = views * files.Count;
                var predictions = Predict(member, files, perturbation, mirrored, answered is null ? null : n => answered(done + n));
                for (var i = 0; i < sums.Length; i++) sums[i] += predictions[i].Probability;
                views++;
            }
        }

        return [.. sums.Select(sum => sum / views)];
    }

    private static List<XrayPrediction> Predict(PneumoniaPredictor member, IReadOnlyList<string> files, XrayPerturbation? perturbation, bool mirrored, Action<int>? answered)
    {
        // Read as they are scored, a batch at a time: a large split is never held in memory.
        var pixels = files.Select((path, index) =>
        {
            var file = File.ReadAllBytes(path);
            if (perturbation is null && !mirrored) return member.Preprocessor.LoadModelPixels(file);
            using var image = member.Preprocessor.DecodeReduced(file);
            // Noise is seeded by the image's position, so every member and view sees the same perturbed image.
            using var perturbed = (perturbation ?? XrayPerturbation.Clean).Apply(image, seed: index);
            if (!mirrored) return member.Preprocessor.ToModelPixels(perturbed);
            using var mirror = Mirror.Apply(perturbed);
            return member.Preprocessor.ToModelPixels(mirror);
        });
        var predictions = new List<XrayPrediction>(files.Count);
        foreach (var batch in pixels.Chunk(BatchSize))
        {
            predictions.AddRange(member.PredictPixels(batch));
            answered?.Invoke(predictions.Count);
        }

        return predictions;
    }

    public void Dispose()
    {
        foreach (var member in _members) member.Dispose();
    }
}
