using Pneumonia.Ml.Images;
using Pneumonia.Ml.Training;
using Pneumonia.Ml.Architectures;

namespace Pneumonia.Testing;

/// <summary>
/// A real, small model for tests: the ImageNet stem and two stages at 64 px, frozen, a head trained for three epochs on 32 real X-rays. It takes a
/// few seconds to make, is a genuine <see cref="ModelTrainingPipeline"/> output (card, calibration, threshold) and
/// classifies better than chance, but it is not meant to be good.
/// </summary>
public static class TinyModel
{
    public const int InputSize = 64;

    /// <summary>Trains the model into <paramref name="outputDirectory"/> and returns its card.</summary>
    /// <param name="perturbedValidation">Also fit on the validation images under the robustness suite (and so do its retrains).</param>
    /// <param name="earlyStoppingPatience">Recorded in the card, so retrains from this model inherit it (default: <paramref name="epochs"/>).</param>
    /// <param name="weights">The weights file's number format (default: the parent's, or float32).</param>
    public static ModelCard Create(
        string outputDirectory, long seed = 1, int epochs = 3, string? parentDirectory = null, ServingPrecision? serving = null, int? earlyStoppingPatience = null,
        bool perturbedValidation = false, WeightStorage? weights = null)
    {
        var preprocessing = PreprocessingParameters.Default with { InputSize = InputSize };
        var preprocessor = new XrayPreprocessor(preprocessing, new XrayImageDecoder());
        using var train = Load(preprocessor, TestData.Images("train", "NORMAL", 16), TestData.Images("train", "PNEUMONIA", 16));
        using var validation = Load(preprocessor, TestData.Images("val", "NORMAL", 8), TestData.Images("val", "PNEUMONIA", 8));
        using var test = Load(preprocessor, TestData.Images("test", "NORMAL", 8), TestData.Images("test", "PNEUMONIA", 8));
        var views = perturbedValidation
            ? XrayPerturbation.ValidationSuite.Select(p => new PerturbedPixelSet(p, Load(preprocessor, TestData.Images("val", "NORMAL", 8), TestData.Images("val", "PNEUMONIA", 8), p))).ToList()
            : [];
        var snapshot = new DatasetSnapshot("tiny", 16, 16, 8, 8, 8, 8, "TinyModel: first images of each shared data folder");
        try
        {
            return new ModelTrainingPipeline().Run(new TrainingInputs
        {
            Train = train,
            Validation = validation,
            ValidationViews = views,
            Test = test,
            Options = new TrainingOptions { Epochs = epochs, BatchSize = 8, Seed = seed, FineTune = false, HeadLearningRate = 1e-2, EarlyStoppingPatience = earlyStoppingPatience ?? epochs, PerturbedValidation = perturbedValidation },
            Preprocessing = preprocessing,
            Dataset = snapshot,
            ParentModelDirectory = parentDirectory,
            NewArchitecture = parentDirectory is null ? ResNet18Architecture.Instance.Describe(stages: 2, dropout: 0, pretrained: true) : null,
            OutputDirectory = outputDirectory,
            WeightStorage = weights,
            Serving = serving ?? ServingPrecision.Default,
        });
        }
        finally
        {
            foreach (var view in views) view.Pixels.Dispose();
        }
    }

    /// <summary>Decodes files (ids are their paths) through the serving preprocessor.</summary>
    /// <param name="perturbation">Applied to each decoded image before preprocessing (noise seeded by the image's position); null for none.</param>
    public static XrayPixelSet Load(XrayPreprocessor preprocessor, IEnumerable<string> normal, IEnumerable<string> pneumonia, XrayPerturbation? perturbation = null)
    {
        var images = normal.Select(p => new LabelledImage(p, false)).Concat(pneumonia.Select(p => new LabelledImage(p, true))).ToArray();
        var seeds = images.Select((image, index) => (image.ImageId, index)).ToDictionary(p => p.ImageId, p => p.index);
        return XrayPixelSet.Load(images, path =>
        {
            if (perturbation is null) return preprocessor.LoadModelPixels(File.ReadAllBytes(path));
            using var image = preprocessor.DecodeReduced(File.ReadAllBytes(path));
            using var changed = perturbation.Apply(image, seeds[path]);
            return preprocessor.ToModelPixels(changed);
        }, preprocessor.Parameters.InputSize);
    }
}
