using System.CommandLine;
using System.Text.Json;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Evaluation;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Models;

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
            Description = "Number format of the forward pass, as the server's Pneumonia:Prediction:Precision (Fp32 or Bf16; default: the server's default).",
            DefaultValueFactory = _ => ServingPrecision.Default.Precision,
        };
        var bf16FromStage = new Option<int>("--bf16-from-stage")
        {
            Description = "With --precision Bf16: the first backbone stage computed in bfloat16 (0 = the stem), as Pneumonia:Prediction:Bf16FromStage.",
            DefaultValueFactory = _ => ServingPrecision.Default.Bf16FromStage,
        };
        var command = new Command("evaluate", "Evaluate a model on the test split of the data directory at the model's own threshold.") { model, data, json, precision, bf16FromStage };
        command.SetAction(parse => Run(parse.GetValue(model)!, parse.GetValue(data)!, parse.GetValue(json), parse.GetValue(precision), parse.GetValue(bf16FromStage)));
        return command;
    }

    private static int Run(DirectoryInfo modelDirectory, DirectoryInfo dataRoot, bool json, InferencePrecision precision, int bf16FromStage)
    {
        var data = new DataDirectory(dataRoot.FullName);
        using var predictor = PneumoniaPredictor.Load(modelDirectory.FullName, new XrayImageDecoder(new ImageLimits()), new ServingPrecision(precision, bf16FromStage));
        var test = data.LoadCatalogue().Entries.Where(e => e.Split == DatasetSplit.Test && e.Label is not null).ToList();
        if (test.Count == 0)
        {
            Console.Error.WriteLine($"no labelled test images in {data.CataloguePath}; import a dataset first");
            return 2;
        }
        // The serving path end to end (decode, preprocess, forward, calibrate), in batches for speed.
        var probabilities = Terminal.WithProgress($"evaluating {test.Count:N0} test images", test.Count, bar => test
            .Select(e => predictor.Preprocessor.LoadModelPixels(File.ReadAllBytes(data.Store.PathOf(e.Sha256))))
            .Chunk(32)
            .SelectMany(batch => predictor.PredictPixels(batch))
            .Select((p, i) =>
            {
                bar.Set(i + 1);
                return p.Probability;
            })
            .ToArray());
        var report = BinaryClassificationEvaluator.Evaluate(probabilities, test.Select(e => e.Label == XrayLabel.Pneumonia).ToArray(), predictor.Card.Threshold);
        if (json) Console.WriteLine(JsonSerializer.Serialize(report, ModelPackage.JsonOptions));
        else Terminal.Metrics(("test", report));
        return 0;
    }
}
