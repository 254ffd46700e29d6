using System.CommandLine;
using System.Diagnostics;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Training;
using Pneumonia.Ml.Architectures;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Cli;

internal static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new TrainingOptions();
        var dataset = new Option<string?>("--dataset") { Description = "Import this Kaggle-layout folder or .zip first (idempotent)." };
        var data = CommonOptions.Data(required: false);
        var output = new Option<DirectoryInfo>("--output") { Description = "Directory for the new model.", Required = true };
        var parent = new Option<DirectoryInfo?>("--parent") { Description = "Fine-tune this saved model instead of starting from the ImageNet backbone." };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => defaults.Epochs };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => defaults.BatchSize };
        var fineTune = new Option<bool>("--fine-tune") { Description = "Also train the upper backbone stages.", DefaultValueFactory = _ => defaults.FineTune };
        var firstStage = new Option<int>("--first-fine-tuned-stage") { DefaultValueFactory = _ => defaults.FirstFineTunedStage };
        var headRate = new Option<double>("--head-lr") { DefaultValueFactory = _ => defaults.HeadLearningRate };
        var backboneRate = new Option<double>("--backbone-lr") { DefaultValueFactory = _ => defaults.BackboneLearningRate };
        var patience = new Option<int>("--patience") { DefaultValueFactory = _ => defaults.EarlyStoppingPatience };
        var augment = new Option<bool>("--augment") { DefaultValueFactory = _ => defaults.Augment };
        var augmentation = new Option<string>("--augmentation")
        {
            Description = "Augmentation ranges: standard (rotation, shift, zoom, brightness, contrast) or robust (wider, plus noise, gamma, blur and mirroring).",
            DefaultValueFactory = _ => "standard",
        };
        var labelSmoothing = new Option<double>("--label-smoothing") { Description = "Pull the training targets towards 0.5 by this share (0-0.4).", DefaultValueFactory = _ => defaults.LabelSmoothing };
        var mixup = new Option<double>("--mixup") { Description = "Mixup's alpha (0-1; 0 = off, 0.2 is usual): mix each batch with a shuffled copy of itself by a Beta(alpha, alpha) weight.", DefaultValueFactory = _ => defaults.Mixup };
        var perturbedValidation = new Option<bool>("--perturbed-validation")
        {
            Description = "Also decode validation and test under every perturbation of the robustness table: the pooled validation images choose the epoch, the calibration and the threshold; test is only evaluated (the card's robustness table).",
        };
        var selectionRule = new Option<string?>("--selection-rule") { Description = "Record in the card how this run will be chosen among others (write it before the runs)." };
        var cacheFrozen = new Option<bool>("--cache-frozen-features") { Description = "Compute frozen stages once (no augmentation); what POST /retrain does.", DefaultValueFactory = _ => defaults.CacheFrozenFeatures };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => defaults.Seed };
        var inputSize = new Option<int>("--input-size") { DefaultValueFactory = _ => PreprocessingParameters.Default.InputSize };
        var stages = new Option<int>("--stages") { Description = "Residual stages of the backbone to keep (1-4).", DefaultValueFactory = _ => 3 };
        var architectureName = new Option<string>("--architecture")
        {
            Description = $"The network family of a new model, by the name its card records: {string.Join(", ", NetworkArchitectures.Names)} (default {NetworkArchitectures.Default.Name}).",
            DefaultValueFactory = _ => NetworkArchitectures.Default.Name,
        };
        var dropout = new Option<double>("--dropout") { DefaultValueFactory = _ => 0.2 };
        var validationFraction = new Option<double>("--validation-fraction") { DefaultValueFactory = _ => 0.1 };
        var gateFraction = new Option<double>("--gate-fraction")
        {
            Description = "Hold out the server's promotion gate set (this share of training patients, as Pneumonia:Promotion:GateFraction) so the model never trains on the images the gate judges it on; 0 holds out nothing.",
            DefaultValueFactory = _ => GateSetRule.DefaultFraction,
        };
        var weights = new Option<WeightStorage?>("--weights")
        {
            Description = "The number format of the saved weights: Fp32 (4 bytes a parameter) or Bf16 (2, half the file; the network is rounded before calibration, so the card describes the stored weights). Default: the parent's, or Fp32.",
        };
        var threads = new Option<int>("--threads") { DefaultValueFactory = _ => Environment.ProcessorCount };
        var report = new Option<FileInfo?>("--report") { Description = "Also write the run's figures (metrics, time, memory, size) to this markdown file, e.g. docs/BENCHMARKS.md." };
        var reportSection = new Option<string>("--report-section") { Description = "The section of --report to (re)write.", DefaultValueFactory = _ => "training" };

        var command = new Command("train", "Train a model: carve a patient-grouped validation split, train, calibrate, choose the threshold, evaluate on test, save.")
        {
            dataset, data, output, parent, epochs, batchSize, fineTune, firstStage, headRate, backboneRate, patience, augment,
            augmentation, labelSmoothing, mixup, perturbedValidation, selectionRule, cacheFrozen, seed, inputSize, stages, architectureName, dropout, validationFraction, gateFraction, weights, threads, report, reportSection,
        };
        command.SetAction(async (parse, cancel) =>
        {
            if (XrayAugmentation.Named(parse.GetValue(augmentation)!) is not { } ranges)
            {
                Console.Error.WriteLine($"--augmentation must be standard or robust; got '{parse.GetValue(augmentation)}'");
                return 2;
            }

            var options = new TrainingOptions
            {
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batchSize),
                FineTune = parse.GetValue(fineTune),
                FirstFineTunedStage = parse.GetValue(firstStage),
                HeadLearningRate = parse.GetValue(headRate),
                BackboneLearningRate = parse.GetValue(backboneRate),
                EarlyStoppingPatience = parse.GetValue(patience),
                Augment = parse.GetValue(augment),
                Augmentation = ranges,
                LabelSmoothing = parse.GetValue(labelSmoothing),
                Mixup = parse.GetValue(mixup),
                PerturbedValidation = parse.GetValue(perturbedValidation),
                CacheFrozenFeatures = parse.GetValue(cacheFrozen),
                Seed = parse.GetValue(seed),
            };
            options.Validate();
            if (!NetworkArchitectures.Names.Contains(parse.GetValue(architectureName)!))
            {
                Console.Error.WriteLine($"--architecture must be one of {string.Join(", ", NetworkArchitectures.Names)}; got '{parse.GetValue(architectureName)}'");
                return 2;
            }

            var family = NetworkArchitectures.Get(parse.GetValue(architectureName)!);
            TorchSharp.torch.set_num_threads(parse.GetValue(threads));
            var dataDirectory = new DataDirectory(parse.GetValue(data)!.FullName);
            if (parse.GetValue(dataset) is { } source)
            {
                await ImportCommand.ImportAsync(source, dataDirectory, "kermany", cancel);
            }
            var parentDirectory = parse.GetValue(parent)?.FullName;
            var preprocessing = parentDirectory is null
                ? PreprocessingParameters.Default with { InputSize = parse.GetValue(inputSize) }
                : ModelPackage.ReadCard(parentDirectory).Preprocessing;
            var clock = Stopwatch.StartNew();
            var card = Train(dataDirectory, preprocessing, options, parentDirectory,
                parentDirectory is null ? family.Describe(parse.GetValue(stages), parse.GetValue(dropout), pretrained: true) : null,
                parse.GetValue(validationFraction), parse.GetValue(gateFraction) is > 0 and var fraction ? new GateSetRule(fraction) : null,
                parse.GetValue(selectionRule), parse.GetValue(weights), parse.GetValue(output)!.FullName, cancel);
            if (parse.GetValue(report) is { } reportFile)
                WriteReport(reportFile.FullName, parse.GetValue(reportSection)!, card, clock.Elapsed);
            return 0;
        });
        return command;
    }

    private static ModelCard Train(
        DataDirectory data, PreprocessingParameters preprocessing, TrainingOptions options, string? parentDirectory,
        ModelArchitecture? architecture, double validationFraction, GateSetRule? holdOut, string? selectionRule, WeightStorage? weights, string outputDirectory, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var preprocessor = new XrayPreprocessor(preprocessing, new XrayImageDecoder(new ImageLimits()));
        using var splits = Terminal.WithProgress($"decoding images at {preprocessing.InputSize}px", 1, bar =>
            TrainingSplits.Load(data.LoadCatalogue().Entries, data.Store, preprocessor, validationFraction, splitSeed: 17, holdOut,
                options.PerturbedValidation ? XrayPerturbation.ValidationSuite : [], perturbTest: true,
                decoded: (done, total) => bar.Set(done / (double)total, $"decoding images at {preprocessing.InputSize}px: {done:N0} of {total:N0}"),
                cancellationToken: cancellationToken));
        Console.WriteLine($"decoded train {splits.Train.Count} / validation {splits.Validation.Count} / test {splits.Test.Count} images at {preprocessing.InputSize}px in {clock.Elapsed.TotalSeconds:0.0}s");

        var card = Terminal.WithProgress("training", 1, bar => new ModelTrainingPipeline().Run(new TrainingInputs
        {
            Train = splits.Train,
            Validation = splits.Validation,
            ValidationViews = splits.ValidationViews,
            Test = splits.Test,
            TestViews = splits.TestViews,
            SelectionRule = selectionRule,
            Options = options,
            Preprocessing = preprocessing,
            Dataset = splits.Snapshot,
            ParentModelDirectory = parentDirectory,
            NewArchitecture = architecture,
            WeightStorage = weights,
            OutputDirectory = outputDirectory,
            CheckpointDirectory = Path.Combine(outputDirectory, "checkpoints"),
        }, new ConsoleProgress(bar), cancellationToken));
        Directory.Delete(Path.Combine(outputDirectory, "checkpoints"), recursive: true);

        Console.WriteLine($"model {card.Version} -> {outputDirectory} ({card.Weights.Bytes / 1e6:0.0} MB) in {clock.Elapsed.TotalMinutes:0.0} min");
        Console.WriteLine($"threshold {card.Threshold:0.0000} ({card.ThresholdRule})");
        Terminal.Metrics([("validation", card.Validation), .. card.Test is { } test ? [("test", test)] : Array.Empty<(string, EvaluationReport)>()]);
        return card;
    }

    private static void WriteReport(string path, string section, ModelCard card, TimeSpan wall)
    {
        var peakMemory = Process.GetCurrentProcess().PeakWorkingSet64;
        var best = card.History.MaxBy(h => h.PerturbedValidationAuc ?? h.ValidationAuc)!;
        var body =
            "| figure | value |\n| --- | --- |\n" +
            $"| model | `{card.Version}` (parent: {card.ParentVersion ?? "ImageNet backbone"}) |\n" +
            $"| network | {card.Architecture.Name}, {card.Architecture.BackboneStages} stages, {card.Architecture.Parameters:N0} parameters, input {card.Preprocessing.InputSize} px |\n" +
            $"| training | {card.History.Count} epochs (best {best.Epoch}), batch {card.Training.BatchSize}, fine-tune {card.Training.FineTune} from stage {card.Training.FirstFineTunedStage}, seed {card.Training.Seed} |\n" +
            $"| recipe | augmentation {(card.Training.Augment ? Describe(card.Training.Augmentation) : "off")}; label smoothing {card.Training.LabelSmoothing:0.##}; mixup {(card.Training.Mixup > 0 ? $"alpha {card.Training.Mixup:0.##}" : "off")}; learning rates head {card.Training.HeadLearningRate:g3} / backbone {card.Training.BackboneLearningRate:g3} |\n" +
            (card.SelectionRule is { } rule ? $"| selection rule | {rule} |\n" : "") +
            $"| data | train {card.Dataset.TrainNormal} NORMAL / {card.Dataset.TrainPneumonia} PNEUMONIA, validation {card.Dataset.ValidationNormal} / {card.Dataset.ValidationPneumonia}, test {card.Dataset.TestNormal} / {card.Dataset.TestPneumonia} |\n" +
            $"| wall time, whole command | {wall.TotalMinutes:0.0} min |\n" +
            $"| training loop | {card.TrainingSeconds / 60:0.0} min; {card.History.Average(h => h.ImagesPerSecond):0.0} images/s on average ({string.Join(", ", card.History.Select(h => $"{h.Seconds:0}s"))} per epoch) |\n" +
            $"| peak memory (working set) | {peakMemory / 1e9:0.00} GB |\n" +
            $"| model size | {card.Weights.Bytes / 1e6:0.0} MB |\n" +
            $"| threshold | {card.Threshold:0.0000} ({card.ThresholdRule}) |\n\n" +
            "| split | n | accuracy | sensitivity | specificity | precision | F1 | ROC-AUC | PR-AUC | Brier | ECE |\n" +
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n" +
            Row("validation", card.Validation) + (card.Test is null ? "" : Row("test", card.Test)) +
            (card.TestUnderPerturbation is { } rows
                ? "\nThe test split under each perturbation of the robustness table, at the same threshold (evaluated once, after training):\n\n" +
                  "| input | n | accuracy | sensitivity | specificity | precision | F1 | ROC-AUC | PR-AUC | Brier | ECE |\n" +
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n" +
                  string.Concat(rows.Select(r => Row(r.Perturbation, r.Report)))
                : "");
        BenchmarkReport.WriteSection(path, section, $"Training: {section}", "pneumonia " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)), body);

        static string Describe(XrayAugmentation a) =>
            $"rotation ±{a.MaxRotationDegrees:0.#}°, shift ±{a.MaxShiftFraction:P0}, zoom ±{a.MaxScaleChange:P0}, brightness ±{a.MaxBrightnessChange:P0}, contrast ±{a.MaxContrastChange:P0}" +
            (a.MaxGammaChange > 0 ? $", gamma x/÷{1 + a.MaxGammaChange:0.##}" : "") + (a.MaxNoiseSigma > 0 ? $", noise sigma 0-{a.MaxNoiseSigma:0.#}" : "") +
            (a.BlurProbability > 0 ? $", blur {a.BlurProbability:P0}" : "") + (a.FlipProbability > 0 ? $", mirrored {a.FlipProbability:P0}" : "");

        static string Row(string name, EvaluationReport r) =>
            $"| {name} | {r.Count} | {r.Accuracy:0.000} | {r.Recall:0.000} | {r.Specificity:0.000} | {r.Precision:0.000} | {r.F1:0.000} | {r.RocAuc:0.000} | {r.PrAuc:0.000} | {r.BrierScore:0.000} | {r.ExpectedCalibrationError:0.000} |\n";
    }

    /// <summary>
    /// Moves the progress bar on a terminal; prints a line every 20 batches otherwise. Synchronous, in order
    /// (Progress&lt;T&gt; would post to the thread pool).
    /// </summary>
    private sealed class ConsoleProgress(Terminal.Bar bar) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (Terminal.Interactive)
            {
                var done = value.BatchesPerEpoch == 0 ? 0 : ((value.Epoch - 1) + (double)value.Batch / value.BatchesPerEpoch) / Math.Max(1, value.Epochs);
                bar.Set(Math.Clamp(done, 0, 1), $"{value.Phase} epoch {value.Epoch}/{value.Epochs} loss {value.TrainingLoss:0.000} val-auc {value.ValidationAuc:0.000}");
                return;
            }

            if (value.Phase == "training" && value.Batch % 20 != 0 && value.Batch != value.BatchesPerEpoch) return;
            Console.WriteLine(
                $"[{value.Elapsed:mm\\:ss}] {value.Phase} epoch {value.Epoch}/{value.Epochs} batch {value.Batch}/{value.BatchesPerEpoch} " +
                $"loss {value.TrainingLoss:0.0000} acc {value.TrainingAccuracy:0.000} val-auc {value.ValidationAuc:0.0000} eta {value.Eta:mm\\:ss}");
        }
    }
}
