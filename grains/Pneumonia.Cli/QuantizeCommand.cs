using System.CommandLine;
using Pneumonia.Ml.Packages;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Cli;

/// <summary>
/// <c>pneumonia quantize</c> measures a trained model's int8 activation ranges on its validation images (an inference
/// pass, no training) and writes them into the card, so that a model trained before int8 serving existed is served
/// in int8 too. New models get them from training.
/// </summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var model = CommonOptions.Model();
        var data = CommonOptions.Data(required: true);
        var validationFraction = TrainedSplits.ValidationFraction();
        var gateFraction = TrainedSplits.GateFraction(0.15, "");
        var command = new Command("quantize",
            $"Measure the int8 activation ranges (min-max) of a model on at most {Int8FeatureStages.MaxCalibrationImages} of its validation images " +
            "(the patient-grouped split train uses) and write them into the model card; the weights are not changed. Serving then runs the model in int8.")
        { model, data, validationFraction, gateFraction };
        command.SetAction(parse =>
        {
            var directory = parse.GetValue(model)!.FullName;
            var card = ModelPackage.ReadCard(directory);
            using var splits = TrainedSplits.Load(card, new DataDirectory(parse.GetValue(data)!.FullName), parse.GetValue(validationFraction), parse.GetValue(gateFraction), []);
            if (TrainedSplits.SnapshotMismatch(card, splits) is { } mismatch)
            {
                Console.Error.WriteLine($"{mismatch}: pass the --data, --validation-fraction and --gate-fraction the model was trained with");
                return 2;
            }

            using var network = ServingNetwork.Prepare(ModelPackage.LoadNetwork(card, directory), ServingPrecision.Int8, calibrationPixels: splits.Validation.Pixels);
            if (network.Quantization is not { } quantization)
            {
                Console.Error.WriteLine($"model {card.Version}: architecture {card.Architecture.Name} has no int8 feature graph");
                return 2;
            }

            ModelPackage.WriteCard(card with { Quantization = quantization }, directory);
            Console.WriteLine($"model {card.Version}: {quantization.Ranges.Count} activation ranges ({quantization.Method}) measured on {quantization.CalibrationImages}");
            return 0;
        });
        return command;
    }
}
