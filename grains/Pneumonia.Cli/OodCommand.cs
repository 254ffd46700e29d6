using System.CommandLine;
using System.Text;
using Pneumonia.Ml.Evaluation;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Packages;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Cli;

/// <summary>
/// <c>pneumonia ood calibrate</c> fits a model's out-of-distribution detector (an inference pass over its training and
/// validation images, no training) and writes it into the card; <c>pneumonia ood measure</c> reports how many images
/// it flags on the test split, on folders of other images and on images made in code.
/// </summary>
internal static class OodCommand
{
    private const int BatchSize = 32;

    public static Command Create()
    {
        var command = new Command("ood", "Out-of-distribution check of a model: calibrate it into the card, or measure it.");
        command.Subcommands.Add(Calibrate());
        command.Subcommands.Add(Measure());
        return command;
    }

    private static Command Calibrate()
    {
        var model = CommonOptions.Model();
        var data = CommonOptions.Data(required: true);
        var validationFraction = TrainedSplits.ValidationFraction();
        var gateFraction = TrainedSplits.GateFraction(0, "; 0, the default, for models trained before the gate set was held out (the bundled one)");
        var command = new Command("calibrate",
            "Fit the out-of-distribution detector on the training images' pooled features and set its threshold at the 99th percentile " +
            "of the validation images' scores (the patient-grouped split train uses); writes it into the model card. The weights are not changed.")
        { model, data, validationFraction, gateFraction };
        command.SetAction(parse =>
        {
            var directory = parse.GetValue(model)!.FullName;
            var card = ModelPackage.ReadCard(directory);
            // A model fitted on perturbed validation views has its threshold set on them too, as training does.
            using var splits = TrainedSplits.Load(card, new DataDirectory(parse.GetValue(data)!.FullName), parse.GetValue(validationFraction), parse.GetValue(gateFraction),
                card.Training.PerturbedValidation ? XrayPerturbation.ValidationSuite : []);
            if (TrainedSplits.SnapshotMismatch(card, splits) is { } mismatch)
            {
                Console.Error.WriteLine($"warning: {mismatch}");
            }

            using var network = ServingNetwork.Prepare(ModelPackage.LoadNetwork(card, directory), card.EvaluatedPrecision ?? ServingPrecision.Default, card.Quantization);
            var detector = OutOfDistributionFitting.FitOn(network, splits.Train.Pixels, splits.Validation.Pixels,
                [.. splits.ValidationViews.Select(v => v.Pixels.Pixels)]);
            if (detector is null)
            {
                Console.Error.WriteLine($"too few images to fit a detector: train {splits.Train.Count}, validation {splits.Validation.Count}");
                return 2;
            }

            ModelPackage.WriteCard(card with { OutOfDistribution = detector }, directory);
            Console.WriteLine($"model {card.Version}: out-of-distribution threshold {detector.Threshold:0.000} ({detector.ThresholdRule})");
            return 0;
        });
        return command;
    }

    private static Command Measure()
    {
        var model = CommonOptions.Model();
        var data = CommonOptions.Data(required: false);
        var images = new Option<DirectoryInfo[]>("--images")
        {
            Description = "A folder of JPEG/PNG images that are not chest X-rays (photos, documents...), searched recursively; repeatable. Its name labels the row.",
            AllowMultipleArgumentsPerToken = true,
        };
        var perKind = new Option<int>("--synthetic")
        {
            Description = "Images made in code per kind (blank, noise, documents, gradients, checkerboards).",
            DefaultValueFactory = _ => 20,
        };
        var report = new Option<FileInfo?>("--report") { Description = "Also write the table into this markdown file (e.g. docs/BENCHMARKS.md)." };
        var command = new Command("measure", "The share of images the model's out-of-distribution check flags: the test split, --images folders, and images made in code.")
        { model, data, images, perKind, report };
        command.SetAction(parse =>
        {
            using var predictor = PneumoniaPredictor.Load(parse.GetValue(model)!.FullName, new XrayImageDecoder(ImageLimits.Default));
            if (predictor.Card.OutOfDistribution is not { } detector)
            {
                Console.Error.WriteLine($"model {predictor.Card.Version} has no out-of-distribution detector; run `pneumonia ood calibrate` first");
                return 2;
            }

            var rows = new List<string>();
            var dataDirectory = new DataDirectory(parse.GetValue(data)!.FullName);
            var catalogue = File.Exists(dataDirectory.CataloguePath) ? dataDirectory.LoadCatalogue().Entries : [];
            var test = catalogue.Where(e => e.Split == ImageSplit.Test).Select(e => File.ReadAllBytes(dataDirectory.Store.PathOf(e.Sha256))).ToList();
            if (test.Count > 0) rows.Add(Row("official test split (X-rays)", predictor, test));

            foreach (var folder in parse.GetValue(images) ?? [])
            {
                var files = folder.EnumerateFiles("*", SearchOption.AllDirectories)
                    .Where(f => f.Extension.ToLowerInvariant() is ".jpg" or ".jpeg" or ".png")
                    .OrderBy(f => f.FullName, StringComparer.Ordinal)
                    .Select(f => File.ReadAllBytes(f.FullName))
                    .ToList();
                rows.Add(Row($"`{folder.Name}/` (not X-rays)", predictor, files));
            }

            var count = parse.GetValue(perKind);
            foreach (var kind in NonXrayImages.Kinds)
            {
                rows.Add(Row($"{kind}, made in code", predictor, [.. Enumerable.Range(0, count).Select(seed => NonXrayImages.Create(kind, seed))]));
            }

            var body = new StringBuilder()
                .AppendLine($"Model `{predictor.Card.Version}`; threshold {detector.Threshold:0.000}: {detector.ThresholdRule}.")
                .AppendLine()
                .AppendLine("| images | n | refused by the input limits | classified | flagged out of distribution | share flagged of classified | median score |")
                .AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
            rows.ForEach(r => body.AppendLine(r));
            var command = "pneumonia " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            if (parse.GetValue(report) is { } file)
            {
                BenchmarkReport.WriteSection(file.FullName, "out-of-distribution", "Out-of-distribution check", command, body.ToString());
            }
            else
            {
                Console.WriteLine(body);
            }

            return 0;
        });
        return command;
    }

    private static string Row(string name, PneumoniaPredictor predictor, List<byte[]> files)
    {
        var refused = 0;
        var pixels = new List<byte[]>();
        foreach (var file in files)
        {
            try
            {
                pixels.Add(predictor.Preprocessor.LoadModelPixels(file));
            }
            catch (InvalidImageException)
            {
                refused++;
            }
        }

        var checks = pixels.Chunk(BatchSize).SelectMany(batch => predictor.PredictPixels(batch)).Select(p => p.Distribution!).ToList();
        var flagged = checks.Count(c => c.IsOutOfDistribution);
        var median = checks.Count == 0 ? double.NaN : OutOfDistributionFitting.Percentile([.. checks.Select(c => c.Score)], 0.5);
        var share = checks.Count == 0 ? "-" : $"{(double)flagged / checks.Count:P1}";
        Console.Error.WriteLine($"{name}: {files.Count} images, {refused} refused, {flagged}/{checks.Count} flagged");
        return $"| {name} | {files.Count} | {refused} | {checks.Count} | {flagged} | {share} | {median:0.00} |";
    }
}
