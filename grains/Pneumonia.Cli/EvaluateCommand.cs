using System.CommandLine;
using System.Text;
using System.Text.Json;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Evaluation;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Serving;
using Pneumonia.Ml.Training;

namespace Pneumonia.Cli;

internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var data = CommonOptions.Data(required: false);
        var json = new Option<bool>("--json") { Description = "Print the full report as JSON." };
        var precision = new Option<InferencePrecision>("--precision")
        {
            Description = "Number format of the forward pass, as the server's Pneumonia:Prediction:Precision (Int8, Bf16 or Fp32; default: the server's default, Int8, which is Bf16 for a card without activation ranges).",
            DefaultValueFactory = _ => ServingPrecision.Default.Precision,
        };
        var bf16FromStage = new Option<int>("--bf16-from-stage")
        {
            Description = "With --precision Bf16: the first backbone stage computed in bfloat16 (0 = the stem), as Pneumonia:Prediction:Bf16FromStage.",
            DefaultValueFactory = _ => ServingPrecision.Default.Bf16FromStage,
        };
        var split = new Option<string>("--split")
        {
            Description = "The catalogue split to evaluate on: test (default), val, train, or gate (the promotion gate's set as the server holds it out: --gate-fraction of the training patients). The model is only evaluated, never changed.",
            DefaultValueFactory = _ => "test",
        };
        var perturbations = new Option<bool>("--perturbations")
        {
            Description = "Evaluate under each perturbation of the robustness table (clean, noise, JPEG 30, rotation, zoom, brightness, contrast, gamma, flip): ROC-AUC, accuracy, sensitivity, specificity, ECE.",
        };
        var downscale = new Option<int[]>("--downscale")
        {
            Description = "With --perturbations: also rows with the images downscaled to these shorter sides in pixels (e.g. 32 48 64 96 128).",
            AllowMultipleArgumentsPerToken = true,
        };
        var gateFraction = new Option<double>("--gate-fraction")
        {
            Description = "With --split gate: the share of training patients in the gate set (as Pneumonia:Promotion:GateFraction).",
            DefaultValueFactory = _ => GateSetRule.DefaultFraction,
        };
        var atypicalGate = new Option<double?>("--atypical-gate")
        {
            Description = "With --split gate: only this share of the gate set (in each class, rounded up), the images whose acquisition statistics (exposure, contrast, border, sharpness) are farthest from the training images' (Mahalanobis), e.g. 0.3333. Chosen from image statistics alone, before any model runs.",
        };
        var validationFraction = TrainedSplits.ValidationFraction();
        var report = new Option<FileInfo?>("--report") { Description = "With --perturbations: also write the table into this markdown file (e.g. docs/BENCHMARKS.md)." };
        var reportSection = new Option<string>("--report-section") { Description = "The section of --report to (re)write.", DefaultValueFactory = _ => "robustness" };
        var predictions = new Option<FileInfo?>("--predictions")
        {
            Description = "Also write each image's prediction to this CSV file (sha256, label, probability, predicted label): to count the labels a change of preprocessing or precision moves.",
        };
        var withModels = new Option<DirectoryInfo[]>("--with-model")
        {
            Description = "Evaluate an ensemble: the mean of --model's and these models' calibrated probabilities, recalibrated and given a threshold on the validation split (clean and perturbed; see the output). Repeatable.",
            AllowMultipleArgumentsPerToken = true,
        };
        var mirrorAverage = new Option<bool>("--mirror-average")
        {
            Description = "Test-time augmentation: answer each image with the mean of its and its left-right mirror's probabilities, recalibrated and given a threshold on the validation split.",
        };
        var command = new Command("evaluate", "Evaluate a model on a split of the data directory (default the test split) at the model's own threshold, optionally under perturbations.")
        {
            model, data, json, precision, bf16FromStage, split, gateFraction, atypicalGate, validationFraction, perturbations, downscale, report, reportSection, predictions,
            withModels, mirrorAverage,
        };
        command.SetAction(parse => Run(new Request(
            parse.GetValue(model)!, parse.GetValue(data)!, parse.GetValue(json), new ServingPrecision(parse.GetValue(precision), parse.GetValue(bf16FromStage)),
            parse.GetValue(split)!, parse.GetValue(gateFraction), parse.GetValue(atypicalGate), parse.GetValue(validationFraction), parse.GetValue(perturbations), parse.GetValue(downscale) ?? [],
            parse.GetValue(report), parse.GetValue(reportSection)!, parse.GetValue(predictions), parse.GetValue(withModels) ?? [], parse.GetValue(mirrorAverage))));
        return command;
    }

    private static int Run(Request request)
    {
        var gate = string.Equals(request.Split, "gate", StringComparison.OrdinalIgnoreCase);
        if (!SplitNames.TryParse(request.Split, out var split) && !gate)
        {
            Console.Error.WriteLine($"--split must be train, val, test or gate; got '{request.Split}'");
            return 2;
        }

        if (request.AtypicalGate is { } share && (!gate || !(share > 0 && share <= 1)))
        {
            Console.Error.WriteLine($"--atypical-gate takes a share above 0 and at most 1 (e.g. 0.3333) and goes with --split gate; got {share} with --split {request.Split}");
            return 2;
        }

        var missing = request.WithModels.FirstOrDefault(d => !d.Exists);
        if (missing is not null)
        {
            Console.Error.WriteLine($"--with-model {missing.FullName} does not exist; give a model directory (model.json + weights.bin) for each ensemble member");
            return 2;
        }

        var data = new DataDirectory(request.DataRoot.FullName);
        var decoder = new XrayImageDecoder(ImageLimits.Default);
        using var answers = new EvaluatedAnswers(
            [.. new[] { request.ModelDirectory }.Concat(request.WithModels).Select(d => PneumoniaPredictor.Load(d.FullName, decoder, request.Precision))],
            request.MirrorAverage);
        var predictor = answers.First;
        var catalogue = data.LoadCatalogue().Entries.Where(e => e.Label is not null).ToList();
        // The gate set (and the training split the atypical share is measured against) as training holds them out;
        // a combination's validation split is the one its members were trained with (train --gate-fraction).
        var splits = gate || answers.Combines
            ? TrainingSplits.Partition(catalogue, predictor.Preprocessor.Decoder.Limits, request.ValidationFraction, splitSeed: 17, new GateSetRule(request.GateFraction))
            : null;
        var entries = gate ? [.. splits!.Gate] : catalogue.Where(e => e.Split == split).ToList();
        var (subset, subsetNote) = ($"{request.Split} split", "");
        if (request.AtypicalGate is { } fraction && entries.Count > 0)
        {
            (entries, subset, subsetNote) = MostAtypical(entries, splits!.Train, data, decoder, fraction);
        }

        if (entries.Count == 0)
        {
            Console.Error.WriteLine($"no labelled {request.Split} images in {data.CataloguePath}; import a dataset first");
            return 2;
        }

        List<string> Files(IEnumerable<ImageRecord> records) => [.. records.Select(e => data.Store.PathOf(e.Sha256))];
        static bool[] Labels(IEnumerable<ImageRecord> records) => [.. records.Select(e => e.Label == ImageLabel.Pneumonia)];
        var combination = "";
        if (answers.Combines)
        {
            var validation = splits!.Validation;
            var fitted = Terminal.WithProgress($"fitting the combination on {validation.Count:N0} validation images, clean and perturbed", null,
                _ => answers.FitOnValidation(Files(validation), Labels(validation)));
            combination = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $" The answer is the mean of {answers.Describe()}, recalibrated (Platt: slope {fitted.Calibration.Slope:0.###}, intercept {fitted.Calibration.Intercept:0.###}) " +
                $"and given its threshold {fitted.Threshold:0.0000} on the {validation.Count:N0} images of the members' validation split clean and under the {XrayPerturbation.ValidationSuite.Count} perturbations, pooled.");
            Console.Error.WriteLine(combination.TrimStart());
        }

        var labels = Labels(entries);
        var files = Files(entries);
        if (!request.Perturbations)
        {
            var probabilities = Terminal.WithProgress($"evaluating {entries.Count:N0} {request.Split} images", entries.Count * answers.ViewsPerImage,
                bar => answers.Score(files, perturbation: null, answered: n => bar.Set(n)).Probabilities);
            var evaluation = BinaryClassificationEvaluator.Evaluate(probabilities, labels, answers.Threshold);
            if (request.Predictions is { } predictionsFile)
            {
                File.WriteAllLines(predictionsFile.FullName, entries.Select((e, i) => string.Create(
                    System.Globalization.CultureInfo.InvariantCulture,
                    $"{e.Sha256},{e.Label},{probabilities[i]:R},{XrayPrediction.From(probabilities[i], answers.Threshold, answers.Version).Label}"))
                    .Prepend("sha256,label,probability,predicted"));
            }

            if (request.Json) Console.WriteLine(JsonSerializer.Serialize(evaluation, ModelCardJson.Options));
            else Terminal.Metrics((request.Split, evaluation));
            return 0;
        }

        IEnumerable<XrayPerturbation> suite = [.. XrayPerturbation.RobustnessSuite, .. request.Downscale.Select(side => new XrayPerturbation(PerturbationKind.Downscale, side))];
        var modelNote = answers.Combines
            ? $"Combination `{answers.Version}`, its threshold {answers.Threshold:0.0000}"
            : $"Model `{predictor.Card.Version}` ({predictor.Precision}{(predictor.Precision == InferencePrecision.Bf16 ? $" from stage {predictor.Bf16FromStage}" : "")}), its threshold {predictor.Card.Threshold:0.0000}";
        var table = new StringBuilder()
            .AppendLine($"{modelNote}; {entries.Count} labelled images of the {subset} ({labels.Count(l => l)} PNEUMONIA, {labels.Count(l => !l)} NORMAL), " +
                $"each decoded, perturbed, then preprocessed and classified as served; noise seeded by the image's position.{subsetNote}{combination}")
            .AppendLine()
            .AppendLine("| input | ROC-AUC | accuracy | sensitivity | specificity | ECE | flagged out of distribution |")
            .AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        var rows = new List<EvaluationReport>();
        foreach (var perturbation in suite)
        {
            perturbation.Validate();
            var (probabilities, flaggedShare) = answers.Score(files, perturbation);
            var r = BinaryClassificationEvaluator.Evaluate(probabilities, labels, answers.Threshold);
            rows.Add(r);
            var flagged = flaggedShare is { } flaggedPart ? $"{flaggedPart:P1}" : "-";
            var row = $"| {perturbation.Name} | {r.RocAuc:0.000} | {r.Accuracy:0.000} | {r.Recall:0.000} | {r.Specificity:0.000} | {r.ExpectedCalibrationError:0.000} | {flagged} |";
            Console.Error.WriteLine(row);
            table.AppendLine(row);
        }

        // What a selection rule over the rows reads (issue 13's rounds two and three): one line, not a judgement.
        var summary = $"Over the {rows.Count} rows: mean balanced accuracy ((sensitivity + specificity) / 2) {rows.Average(r => (r.Recall + r.Specificity) / 2):0.0000}, " +
            $"mean ECE {rows.Average(r => r.ExpectedCalibrationError):0.0000}, lowest specificity {rows.Min(r => r.Specificity):0.000}, lowest ROC-AUC {rows.Min(r => r.RocAuc):0.000}.";
        Console.Error.WriteLine(summary);
        table.AppendLine().AppendLine(summary);

        var command = "pneumonia " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
        if (request.Report is { } reportFile) BenchmarkReport.WriteSection(reportFile.FullName, request.ReportSection, request.ReportSection == "robustness" ? "Robustness under perturbations" : $"Robustness under perturbations: {request.ReportSection}", command, table.ToString());
        else Console.WriteLine(table);
        return 0;
    }

    /// <summary>
    /// The atypical share of the gate set (<see cref="AcquisitionStatistics"/>): the distances are from the statistics
    /// of <paramref name="training"/>, the images the model trained on (the training split as <c>train</c> carved it).
    /// </summary>
    private static (List<ImageRecord> Entries, string Name, string Note) MostAtypical(
        List<ImageRecord> gateEntries, IReadOnlyList<ImageRecord> training, DataDirectory data, XrayImageDecoder decoder, double fraction)
    {
        double[] StatisticsOf(ImageRecord e)
        {
            using var image = decoder.DecodeGrey(File.ReadAllBytes(data.Store.PathOf(e.Sha256)), AcquisitionStatistics.Side);
            return AcquisitionStatistics.Of(image);
        }

        var reference = AcquisitionStatistics.Fit(Terminal.WithProgress($"acquisition statistics of {training.Count:N0} training images", training.Count, bar =>
            training.Select((e, i) =>
            {
                bar.Set(i + 1);
                return StatisticsOf(e);
            }).ToList()));
        var distances = gateEntries.Select(e => reference.Distance(StatisticsOf(e))).ToList();
        var chosen = AcquisitionStatistics.MostAtypical(distances, [.. gateEntries.Select(e => e.Label == ImageLabel.Pneumonia)], fraction).ToList();
        var typical = distances.Order().ElementAt(distances.Count / 2);
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        var name = string.Create(invariant, $"gate split's atypical {fraction:P0} of each class by acquisition statistics");
        var note = string.Create(invariant,
            $" Their distances from the statistics of the {training.Count:N0} training images: {chosen.Min(i => distances[i]):0.00}-{chosen.Max(i => distances[i]):0.00} (the whole gate set's median: {typical:0.00}).");
        return ([.. chosen.Select(i => gateEntries[i])], name, note);
    }

    private sealed record Request(
        DirectoryInfo ModelDirectory, DirectoryInfo DataRoot, bool Json, ServingPrecision Precision, string Split, double GateFraction, double? AtypicalGate, double ValidationFraction,
        bool Perturbations, int[] Downscale, FileInfo? Report, string ReportSection, FileInfo? Predictions, DirectoryInfo[] WithModels, bool MirrorAverage);
}
