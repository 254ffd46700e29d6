using Pneumonia.Reliability.Tests.Infrastructure;

namespace Pneumonia.Reliability.Tests;

/// <summary><c>pneumonia evaluate --perturbations</c> and <c>pneumonia ood measure</c> as users run them, on a small imported test split.</summary>
[Collection(ProcessTests.Name)]
public sealed class EvaluateCommandTests
{
    [Fact]
    public async Task Evaluate_with_perturbations_writes_one_row_per_perturbation_and_ood_measure_its_table()
    {
        using var root = new TempDirectory();
        var (data, model) = await ImportWithTinyModelAsync(root, "test", 4, skip: 40);
        var report = root.Combine("BENCHMARKS.md");

        var (code, output) = await Cli.RunAsync("evaluate", "--model", model, "--data", data, "--perturbations", "--downscale", "64", "--report", report);

        Assert.True(code == 0, output);
        var rows = File.ReadAllLines(report).Where(line => line.StartsWith("| ", StringComparison.Ordinal)).Skip(2).ToList();
        Assert.Equal(
            ["clean", "Gaussian noise sigma 4", "Gaussian noise sigma 8", "JPEG quality 30", "rotation -7 degrees", "rotation +7 degrees",
             "zoom in 10%", "zoom out 8%", "brightness x0.8", "brightness x1.2", "contrast x0.8", "gamma 0.7", "horizontal flip", "downscaled to 64 px"],
            rows.Select(r => r.Split('|')[1].Trim()));
        Assert.Contains("8 labelled images of the test split", File.ReadAllText(report), StringComparison.Ordinal);

        var (measureCode, measured) = await Cli.RunAsync("ood", "measure", "--model", model, "--data", data, "--synthetic", "2");
        Assert.True(measureCode == 0, measured);
        Assert.Contains("| official test split (X-rays) | 8 | 0 | 8 |", measured, StringComparison.Ordinal);
        Assert.Contains("| uniform-noise, made in code | 2 | 0 | 2 | 2 | 100.0 % |", measured, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_on_the_atypical_gate_set_takes_a_share_of_each_class_of_the_gate_and_refuses_it_without_the_gate()
    {
        using var root = new TempDirectory();
        var (data, model) = await ImportWithTinyModelAsync(root, "train", 24);

        var (wholeCode, whole) = await Cli.RunAsync("evaluate", "--model", model, "--data", data, "--split", "gate", "--gate-fraction", "0.4", "--perturbations");
        var (code, atypical) = await Cli.RunAsync("evaluate", "--model", model, "--data", data, "--split", "gate", "--gate-fraction", "0.4", "--atypical-gate", "0.5", "--perturbations");

        Assert.True(wholeCode == 0, whole);
        Assert.True(code == 0, atypical);
        var (pneumonia, normal) = (Count(whole, "PNEUMONIA"), Count(whole, "NORMAL"));
        Assert.True(pneumonia > 1 && normal > 1, whole);
        Assert.Equal((pneumonia + 1) / 2, Count(atypical, "PNEUMONIA"));
        Assert.Equal((normal + 1) / 2, Count(atypical, "NORMAL"));
        Assert.Contains("gate split's atypical 50 % of each class by acquisition statistics", atypical, StringComparison.Ordinal);
        Assert.Contains("mean balanced accuracy", atypical, StringComparison.Ordinal);

        var (refusedCode, refused) = await Cli.RunAsync("evaluate", "--model", model, "--data", data, "--atypical-gate", "0.5");
        Assert.Equal(2, refusedCode);
        Assert.Contains("--atypical-gate", refused, StringComparison.Ordinal);
        Assert.Contains("--split gate", refused, StringComparison.Ordinal);

        // "(7 PNEUMONIA, 5 NORMAL)" in the table's heading.
        static int Count(string output, string label) =>
            int.Parse(System.Text.RegularExpressions.Regex.Match(output, label == "PNEUMONIA" ? @"\((\d+) PNEUMONIA" : @"(\d+) NORMAL\)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Evaluate_combines_answers_recalibrated_on_validation_a_model_with_itself_ranking_as_the_model_alone()
    {
        using var root = new TempDirectory();
        var (data, model) = await ImportWithTinyModelAsync(root, "train", 24);
        string[] on = ["--data", data, "--split", "gate", "--gate-fraction", "0.3", "--validation-fraction", "0.3", "--json"];

        var (singleCode, single) = await Cli.RunAsync(["evaluate", "--model", model, .. on]);
        var (twiceCode, twice) = await Cli.RunAsync(["evaluate", "--model", model, "--with-model", model, .. on]);
        var (mirroredCode, mirrored) = await Cli.RunAsync(["evaluate", "--model", model, "--mirror-average", .. on]);

        Assert.True(singleCode == 0, single);
        Assert.True(twiceCode == 0, twice);
        Assert.True(mirroredCode == 0, mirrored);
        Assert.DoesNotContain("recalibrated", single, StringComparison.Ordinal);
        Assert.Contains("the calibrated probabilities of 2 models", twice, StringComparison.Ordinal);
        Assert.Contains("each for the image and its left-right mirror", mirrored, StringComparison.Ordinal);
        Assert.Matches(@"on the \d+ images of the members' validation split clean and under the 12 perturbations, pooled", twice);
        // The mean of two identical answers is the answer, and recalibration is monotone: the same ranking.
        Assert.Equal(Figure(single, "rocAuc"), Figure(twice, "rocAuc"), precision: 9);
        // Its threshold is its own, fitted on validation: it keeps the card's minimum sensitivity there, not the card's threshold.
        Assert.NotEqual(Figure(single, "threshold"), Figure(twice, "threshold"));

        var (refusedCode, refused) = await Cli.RunAsync(["evaluate", "--model", model, "--with-model", root.Combine("no-such-model"), .. on]);
        Assert.Equal(2, refusedCode);
        Assert.Contains("--with-model", refused, StringComparison.Ordinal);
        Assert.Contains("no-such-model", refused, StringComparison.Ordinal);

        static double Figure(string output, string name) => double.Parse(
            System.Text.RegularExpressions.Regex.Match(output, $"\"{name}\":\\s*([-0-9.eE+]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Imports <paramref name="count"/> X-rays of each class of the shared <paramref name="split"/> (a Kaggle layout) and makes a tiny model.</summary>
    private static async Task<(string Data, string Model)> ImportWithTinyModelAsync(TempDirectory root, string split, int count, int skip = 0)
    {
        var source = root.Combine("kaggle");
        foreach (var (name, bytes, label) in Files.Xrays(split, count, skip))
        {
            Directory.CreateDirectory(Path.Combine(source, split, label));
            await File.WriteAllBytesAsync(Path.Combine(source, split, label, name), bytes);
        }

        var data = root.Combine("data");
        Assert.Equal(0, (await Cli.RunAsync("import", source, "--data", data)).ExitCode);
        var model = root.Combine("model");
        TinyModel.Create(model);
        return (data, model);
    }
}
