using Pneumonia.Ml.Architectures;
using Pneumonia.Ml.Evaluation;
using Pneumonia.Ml.Images;
using Pneumonia.Ml.Packages;
using Pneumonia.Ml.Serving;
using Pneumonia.Ml.Training;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pneumonia.Ml.Tests.Architectures;

/// <summary>
/// An architecture defined only in this test project goes the whole way through the unchanged training, packaging
/// and serving code, found by the name on its card.
/// </summary>
public sealed class SecondArchitectureTests
{
    public SecondArchitectureTests() => TestArchitectures.Register();

    [Fact]
    public void A_network_defined_only_in_the_tests_trains_saves_loads_predicts_and_draws_a_heatmap()
    {
        using var directory = new TempDirectory();
        var preprocessor = new XrayPreprocessor(PreprocessingParameters.Default with { InputSize = 64 }, new XrayImageDecoder());
        using var train = TinyModel.Load(preprocessor, TestData.Images("train", "NORMAL", 8), TestData.Images("train", "PNEUMONIA", 8));
        using var validation = TinyModel.Load(preprocessor, TestData.Images("val", "NORMAL", 4), TestData.Images("val", "PNEUMONIA", 4));
        using var test = TinyModel.Load(preprocessor, TestData.Images("test", "NORMAL", 4), TestData.Images("test", "PNEUMONIA", 4));

        // Stage 0 frozen and cached once per epoch from an augmented view through a served (bfloat16) copy: every
        // stage-wise path of the trainer runs on the new architecture.
        var card = new ModelTrainingPipeline().Run(new TrainingInputs
        {
            Train = train,
            Validation = validation,
            Test = test,
            Options = new TrainingOptions
            {
                Epochs = 1, BatchSize = 8, FineTune = true, FirstFineTunedStage = 1, CacheFrozenFeatures = true, Augment = true,
                HeadLearningRate = 1e-2, BackboneLearningRate = 1e-3,
            },
            Preprocessing = preprocessor.Parameters,
            Dataset = new DatasetSnapshot("tiny-cnn", 8, 8, 4, 4, 4, 4, "first images of each shared data folder"),
            NewArchitecture = TinyCnnArchitecture.Instance.Describe(stages: 2, dropout: 0, pretrained: false),
            OutputDirectory = directory.Path,
        });

        Assert.Equal(TinyCnnArchitecture.ArchitectureName, ModelPackage.ReadCard(directory.Path).Architecture.Name);
        Assert.Single(card.History);
        Assert.NotNull(card.OutOfDistribution); // fitted on the new network's pooled features

        using var predictor = PneumoniaPredictor.Load(directory.Path, new XrayImageDecoder());
        var testFiles = TestData.Images("test", "NORMAL", 4).Concat(TestData.Images("test", "PNEUMONIA", 4)).ToList();
        var predictions = predictor.PredictPixels(testFiles.Select(f => predictor.Preprocessor.LoadModelPixels(File.ReadAllBytes(f))).ToList());
        var bytes = File.ReadAllBytes(testFiles[^1]);
        var plain = predictor.Predict(bytes);
        var (withHeatmap, png) = predictor.PredictWithHeatmap(bytes);

        // The loaded package answers the test images exactly as the network the pipeline evaluated for the card.
        var reloaded = BinaryClassificationEvaluator.Evaluate(predictions.Select(p => p.Probability).ToArray(), test.Images.Select(i => i.IsPneumonia).ToArray(), card.Threshold);
        Assert.Equal((card.Test!.RocAuc, card.Test.Accuracy, card.Test.LogLoss), (reloaded.RocAuc, reloaded.Accuracy, reloaded.LogLoss));
        Assert.Equal(card.Version, plain.ModelVersion);
        Assert.NotNull(plain.Distribution);
        Assert.Equal(plain.Probability, withHeatmap.Probability, 5);
        var xray = Image.Identify(bytes);
        var scale = Math.Min(1.0, ClassActivationHeatmap.MaxSide / (double)Math.Max(xray.Width, xray.Height));
        using var overlay = Image.Load<Rgb24>(png);
        Assert.Equal(((int)Math.Round(xray.Width * scale), (int)Math.Round(xray.Height * scale)), (overlay.Width, overlay.Height));
    }

    [Fact]
    public void A_card_naming_an_unknown_architecture_is_refused_with_the_known_names()
    {
        var description = TinyCnnArchitecture.Instance.Describe(stages: 1, dropout: 0, pretrained: false) with { Name = "vgg11-nowhere" };

        var error = Assert.Throws<NotSupportedException>(() => NetworkArchitectures.Create(description, loadPretrainedWeights: false));

        Assert.Contains("'vgg11-nowhere'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{ResNet18Architecture.ArchitectureName}'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{TinyCnnArchitecture.ArchitectureName}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_is_registered_once()
    {
        TestArchitectures.Register();

        Assert.Same(TinyCnnArchitecture.Instance, NetworkArchitectures.Get(TinyCnnArchitecture.ArchitectureName));
        Assert.Throws<InvalidOperationException>(() => NetworkArchitectures.Register(new Impostor(ResNet18Architecture.ArchitectureName)));
        Assert.Same(ResNet18Architecture.Instance, NetworkArchitectures.Get(ResNet18Architecture.ArchitectureName));
    }

    private sealed class Impostor(string name) : INetworkArchitecture
    {
        public string Name => name;
        public int MaxStages => 1;
        public ModelArchitecture Describe(int stages, double dropout, bool pretrained) => throw new NotSupportedException();
        public PneumoniaNetwork Build(ModelArchitecture architecture) => throw new NotSupportedException();
        public void LoadPretrainedWeights(PneumoniaNetwork network, ModelArchitecture architecture) => throw new NotSupportedException();
    }
}
