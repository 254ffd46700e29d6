using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Pneumonia.Ml.Evaluation;
using Pneumonia.Ml.Images;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;
using Pneumonia.Ml.Serving;

namespace Pneumonia.Cli;

/// <summary>
/// The floor a server can approach: the model's raw forward rate per precision, thread count and batch size, the
/// decode + preprocess cost of a 224 JPEG and of a full-size X-ray, the cost of loading the model (what the original
/// service paid per request), and whether bf16 changes the test-set answers.
/// </summary>
internal static class BenchInferenceCommand
{
    private static readonly int[] BatchSizes = [1, 4, 8, 16, 32, 64];

    // fp32 first: the others are compared with it. Int8 is the serving default (see PredictionOptions), all-bf16 the one
    // before it; from stage 2 (stem and stage 1 in fp32) was the default before batch norms were folded, kept for comparison.
    // Named by ServingPrecision.ToString(): "fp32", "bf16", "bf16 from stage 2", "int8" (load/report.py picks the served one).
    private static readonly ServingPrecision[] Variants =
    [
        ServingPrecision.Fp32,
        new(InferencePrecision.Bf16, 0),
        new(InferencePrecision.Bf16, 2),
        ServingPrecision.Int8,
    ];
    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    public static Command Create()
    {
        var model = CommonOptions.Model();
        var images = new Option<DirectoryInfo>("--images")
        {
            Description = "chest_xray root (test/NORMAL, test/PNEUMONIA): the 224 sample and the fp32/bf16 agreement check.",
            Required = true,
        };
        var threads = new Option<string>("--threads") { Description = "Comma-separated torch thread counts to try.", DefaultValueFactory = _ => "1,2" };
        var seconds = new Option<double>("--seconds") { Description = "Measuring time per configuration.", DefaultValueFactory = _ => 1.5 };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the figures as JSON here (load/run.sh reads them)." };
        var report = new Option<FileInfo?>("--report") { Description = "Write the tables into this markdown file (section inference-floor)." };
        var command = new Command("bench-inference", "Measure the inference floor: forward rate by precision, threads and batch size; decode + preprocess; model load; bf16 agreement.")
        {
            model, images, threads, seconds, json, report,
        };
        command.SetAction(parse => Run(
            parse.GetValue(model)!, parse.GetValue(images)!, parse.GetValue(threads)!, parse.GetValue(seconds),
            parse.GetValue(json), parse.GetValue(report)));
        return command;
    }

    private static int Run(DirectoryInfo modelDirectory, DirectoryInfo imagesRoot, string threadList, double seconds, FileInfo? json, FileInfo? report)
    {
        var decoder = new XrayImageDecoder(ImageLimits.Default);
        var testFiles = TestFiles(imagesRoot.FullName);
        if (testFiles.Count == 0)
        {
            Console.Error.WriteLine($"no JPEGs under {imagesRoot.FullName}/test/{{NORMAL,PNEUMONIA}}");
            return 2;
        }

        var threadCounts = threadList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
        var forward = new List<ForwardRate>();
        var probabilities = new Dictionary<ServingPrecision, double[]>();
        var measured = new List<ServingPrecision>();
        foreach (var variant in Variants)
        {
            // ONNX Runtime (int8) takes its threads when the model loads; libtorch per call (set_num_threads).
            foreach (var threads in threadCounts)
            {
                using var predictor = PneumoniaPredictor.Load(modelDirectory.FullName, decoder, variant, int8Threads: threads);
                if (predictor.Serving != variant)
                {
                    Console.Error.WriteLine($"  {variant} skipped: the model is served in {predictor.Serving} (run `pneumonia quantize` for int8)");
                    break;
                }
                var size = predictor.Card.Preprocessing.InputSize;
                set_num_threads(threads);
                foreach (var batch in BatchSizes)
                {
                    var pixels = Enumerable.Range(0, batch).Select(i => predictor.Preprocessor.LoadModelPixels(File.ReadAllBytes(testFiles[i % testFiles.Count].Path))).ToList();
                    var perPass = Measure(() => predictor.PredictPixels(pixels), seconds);
                    forward.Add(new ForwardRate(variant.ToString(), threads, batch, size, batch / perPass.TotalSeconds, perPass.TotalMilliseconds));
                    Console.Error.WriteLine($"  forward {variant} threads {threads} batch {batch}: {batch / perPass.TotalSeconds:F1} images/s");
                }

                if (threads != threadCounts.Max()) continue;
                measured.Add(variant);
                probabilities[variant] = testFiles
                    .Select(f => predictor.Preprocessor.LoadModelPixels(File.ReadAllBytes(f.Path)))
                    .Chunk(32)
                    .SelectMany(chunk => predictor.PredictPixels(chunk))
                    .Select(p => p.Probability)
                    .ToArray();
            }
        }

        using var fp32 = PneumoniaPredictor.Load(modelDirectory.FullName, decoder, ServingPrecision.Fp32);
        var threshold = fp32.Card.Threshold;
        var labels = testFiles.Select(f => f.Pneumonia).ToArray();
        var reference = probabilities[Variants[0]];
        var agreement = measured.Select(v =>
        {
            var report = BinaryClassificationEvaluator.Evaluate(probabilities[v], labels, threshold);
            var p = probabilities[v];
            return new Agreement(v.ToString(), report.RocAuc, report.Accuracy, report.Recall, report.Specificity,
                reference.Zip(p, (a, b) => (a >= threshold) == (b >= threshold)).Count(same => same),
                reference.Zip(p, (a, b) => Math.Abs(a - b)).Max());
        }).ToList();

        var small = File.ReadAllBytes(testFiles[0].Path);
        var large = Upscaled(small, 2000);
        var decode = new[]
        {
            Decode(small, fp32.Preprocessor, seconds),
            Decode(large, fp32.Preprocessor, seconds),
        };
        // As the original service loaded a model per request: the weights only (bf16 preparation builds no session).
        var load = Median(() => PneumoniaPredictor.Load(modelDirectory.FullName, decoder, new ServingPrecision(InferencePrecision.Bf16, 0)).Dispose(), seconds, minRuns: 5);
        var servedLoad = Median(() => PneumoniaPredictor.Load(modelDirectory.FullName, decoder).Dispose(), seconds, minRuns: 5);

        var engines = EngineComparison.Measure(threadCounts.Max(), seconds, (action, s) => Median(action, s));
        var result = new FloorReport(forward, decode, load.TotalMilliseconds, servedLoad.TotalMilliseconds, Environment.ProcessorCount, agreement, testFiles.Count, engines);
        var markdown = Markdown(result);
        if (json is not null) File.WriteAllText(json.FullName, JsonSerializer.Serialize(result, JsonOptions));
        if (report is not null)
        {
            BenchmarkReport.WriteSection(report.FullName, "inference-floor", "Inference floor (model, decode, load)",
                $"pneumonia bench-inference --images {imagesRoot.FullName} --threads {threadList} --seconds {seconds.ToString(CultureInfo.InvariantCulture)}", markdown);
        }
        else
        {
            Console.WriteLine(markdown);
        }

        return 0;
    }

    private static string Markdown(FloorReport r)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Forward pass of the bundled model ({r.Forward[0].InputSize} px input), images/s (ms per pass):").AppendLine();
        var columns = r.Forward.Select(f => (f.Precision, f.Threads)).Distinct().ToList();
        text.AppendLine("| batch | " + string.Join(" | ", columns.Select(c => $"{c.Precision}, {c.Threads} thr")) + " |");
        text.AppendLine("| ---: | " + string.Join(" | ", columns.Select(_ => "---:")) + " |");
        foreach (var batch in r.Forward.Select(f => f.Batch).Distinct())
        {
            var cells = columns.Select(c => r.Forward.Single(f => f.Batch == batch && f.Precision == c.Precision && f.Threads == c.Threads))
                .Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.ImagesPerSecond:F0} ({f.MillisecondsPerPass:F1})"));
            text.AppendLine(CultureInfo.InvariantCulture, $"| {batch} | {string.Join(" | ", cells)} |");
        }

        text.AppendLine();
        foreach (var precision in r.Forward.Select(f => f.Precision).Distinct())
        {
            var best = r.Best(precision);
            text.AppendLine(CultureInfo.InvariantCulture, $"- Floor, {precision}: **{best.ImagesPerSecond:F0} images/s** (batch {best.Batch}, {best.Threads} threads).");
        }

        text.AppendLine();
        text.AppendLine("| decode + preprocess (one thread) | median ms |").AppendLine("| --- | ---: |");
        foreach (var d in r.Decode) text.AppendLine(CultureInfo.InvariantCulture, $"| {d.Image} | {d.MedianMilliseconds:F2} |");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- Loading the model from disk (what the original service did per request): median {r.ModelLoadMilliseconds:F0} ms; as served (int8: the weights, then the ONNX graph built and optimised into a session, as a silo does once per model): {r.ServedModelLoadMilliseconds:F0} ms.");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Answers on the {r.TestImages} test images (`test/` of --images, duplicates included) at the card's threshold, against fp32:").AppendLine();
        text.AppendLine("| variant | ROC-AUC | accuracy | sensitivity | specificity | same label as fp32 | largest probability change |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var a in r.Agreement)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {a.Variant} | {a.RocAuc:F4} | {a.Accuracy:F4} | {a.Sensitivity:F4} | {a.Specificity:F4} | {a.SameLabel}/{r.TestImages} | {a.MaxProbabilityChange:F4} |");
        }

        text.AppendLine();
        text.AppendLine("Inference engines on the graph ONNX Runtime can run here (the package's ImageNet ResNet-18: 4 stages, 224 px, " +
            "batch 1, which the ONNX file fixes), the same weights in each, median ms per image:").AppendLine();
        text.AppendLine("| engine | ms per image |").AppendLine("| --- | ---: |");
        foreach (var e in r.Engines) text.AppendLine(CultureInfo.InvariantCulture, $"| {e.Engine} | {e.MillisecondsPerImage:F1} |");
        return text.ToString();
    }

    private static TimeSpan Measure(Action action, double seconds)
    {
        action();
        action();
        var runs = 0;
        var clock = Stopwatch.StartNew();
        while (runs < 3 || clock.Elapsed.TotalSeconds < seconds)
        {
            action();
            runs++;
        }

        return clock.Elapsed / runs;
    }

    private static TimeSpan Median(Action action, double seconds, int minRuns = 20)
    {
        // Warm-up long enough for tiered JIT to reach its optimised code.
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < seconds / 2) action();
        var times = new List<TimeSpan>();
        var clock = Stopwatch.StartNew();
        while (times.Count < minRuns || clock.Elapsed.TotalSeconds < seconds)
        {
            var one = Stopwatch.StartNew();
            action();
            times.Add(one.Elapsed);
        }

        times.Sort();
        return times[times.Count / 2];
    }

    private static byte[] Upscaled(byte[] jpeg, int side)
    {
        using var image = Image.Load<L8>(jpeg);
        image.Mutate(c => c.Resize(side, side));
        using var stream = new MemoryStream();
        image.SaveAsJpeg(stream, new JpegEncoder { Quality = 90 });
        return stream.ToArray();
    }

    private static DecodeCost Decode(byte[] jpeg, XrayPreprocessor preprocessor, double seconds)
    {
        var info = Image.Identify(jpeg);
        var median = Median(() => preprocessor.LoadModelPixels(jpeg), seconds);
        return new DecodeCost($"{info.Width}x{info.Height} JPEG ({jpeg.Length / 1024} KB)", info.Width, info.Height, median.TotalMilliseconds);
    }

    private static List<(string Path, bool Pneumonia)> TestFiles(string root) =>
        new[] { ("NORMAL", false), ("PNEUMONIA", true) }
            .Select(l => (Dir: Path.Combine(root, "test", l.Item1), Label: l.Item2))
            .Where(l => Directory.Exists(l.Dir))
            .SelectMany(l => Directory.GetFiles(l.Dir, "*.jp*g").Order(StringComparer.Ordinal).Select(p => (p, l.Label)))
            .ToList();

    internal sealed record ForwardRate(string Precision, int Threads, int Batch, int InputSize, double ImagesPerSecond, double MillisecondsPerPass);

    internal sealed record Agreement(string Variant, double RocAuc, double Accuracy, double Sensitivity, double Specificity, int SameLabel, double MaxProbabilityChange);

    internal sealed record DecodeCost(string Image, int Width, int Height, double MedianMilliseconds);

    internal sealed record FloorReport(
        IReadOnlyList<ForwardRate> Forward, IReadOnlyList<DecodeCost> Decode, double ModelLoadMilliseconds, double ServedModelLoadMilliseconds, int Cores,
        IReadOnlyList<Agreement> Agreement, int TestImages, IReadOnlyList<EngineComparison.EngineRate> Engines)
    {
        public ForwardRate Best(string precision) => Forward.Where(f => f.Precision == precision).MaxBy(f => f.ImagesPerSecond)!;
    }
}
