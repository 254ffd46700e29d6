using System.CommandLine;
using System.Text.Json;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Cli;

internal static class ClassifyCommand
{
    private static readonly JsonSerializerOptions s_compactJson = new(ModelCardJson.Options) { WriteIndented = false };

    public static Command Create()
    {
        var files = new Argument<FileInfo[]>("files") { Description = "X-ray images (JPEG or PNG)", Arity = ArgumentArity.OneOrMore };
        var model = CommonOptions.Model();
        var json = new Option<bool>("--json") { Description = "Print one JSON object per image." };
        var heatmaps = new Option<DirectoryInfo?>("--heatmap-dir") { Description = "Also write a class-activation heatmap PNG per image into this directory." };
        var command = new Command("classify", "Classify chest X-ray images as NORMAL or PNEUMONIA.") { files, model, json, heatmaps };
        command.SetAction(parse => Run(parse.GetValue(files)!, parse.GetValue(model)!, parse.GetValue(json), parse.GetValue(heatmaps)));
        return command;
    }

    private static int Run(FileInfo[] files, DirectoryInfo modelDirectory, bool json, DirectoryInfo? heatmapDirectory)
    {
        heatmapDirectory?.Create();
        using var predictor = PneumoniaPredictor.Load(modelDirectory.FullName, new XrayImageDecoder(new ImageLimits()));
        var failures = 0;
        var rows = new List<string[]>();
        // With --json each line is printed as soon as its image is done; people get a bar, then one table.
        Terminal.WithProgress($"classifying {files.Length} image(s)", json ? null : files.Length, bar =>
        {
            foreach (var (file, index) in files.Select((f, i) => (f, i)))
            {
                try
                {
                    var bytes = File.ReadAllBytes(file.FullName);
                    XrayPrediction prediction;
                    if (heatmapDirectory is null)
                    {
                        prediction = predictor.Predict(bytes);
                    }
                    else
                    {
                        (prediction, var png) = predictor.PredictWithHeatmap(bytes);
                        File.WriteAllBytes(Path.Combine(heatmapDirectory.FullName, Path.GetFileNameWithoutExtension(file.Name) + ".heatmap.png"), png);
                    }

                    if (json)
                        Console.WriteLine(JsonSerializer.Serialize(new { file = file.Name, prediction.Label, prediction.Confidence, prediction.Probability, prediction.Threshold, prediction.ModelVersion, outOfDistribution = prediction.Distribution }, s_compactJson));
                    else
                        rows.Add([file.Name, prediction.Label + (prediction.Distribution is { IsOutOfDistribution: true } ? " (unlike the training X-rays)" : ""), $"{prediction.Confidence:0.000}", $"{prediction.Probability:0.000}", $"{prediction.Threshold:0.000}", prediction.ModelVersion]);
                }
                catch (Exception e) when (e is InvalidImageException or IOException or UnauthorizedAccessException)
                {
                    failures++;
                    Console.Error.WriteLine($"{file.Name}: {e.Message}");
                }

                bar.Set(index + 1);
            }

            return 0;
        });
        if (!json && rows.Count > 0)
            Terminal.Table(null, ["file", "label", "confidence", "P(pneumonia)", "threshold", "model"], rows);
        return failures == 0 ? 0 : 1;
    }
}
