using Pneumonia.Ml.Architectures;
using Pneumonia.Ml.Serving;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Tests.Architectures;

/// <summary>
/// What training and serving rely on from every architecture, checked for each one this build or this test project
/// registers (a new architecture adds itself to <see cref="Architectures"/>): random weights, 64 px, no data needed.
/// </summary>
public sealed class ArchitectureContractTests
{
    private const int Size = 64;

    public ArchitectureContractTests() => TestArchitectures.Register();

    public static TheoryData<string, int> Architectures => new()
    {
        { ResNet18Architecture.ArchitectureName, 2 },
        { ResNet18Architecture.StandardDepthName, 4 },
        { TinyCnnArchitecture.ArchitectureName, 2 },
    };

    [Theory]
    [MemberData(nameof(Architectures))]
    public void The_description_names_the_architecture_and_counts_its_parameters(string name, int stages)
    {
        var description = NetworkArchitectures.Get(name).Describe(stages, dropout: 0, pretrained: false);
        using var network = NetworkArchitectures.Create(description, loadPretrainedWeights: true);

        Assert.Equal((name, stages, NetworkArchitectures.RandomInitialisation), (description.Name, description.BackboneStages, description.Pretrained));
        Assert.Equal(stages, network.Stages);
        Assert.Equal(description.Parameters, network.parameters().Sum(p => p.numel()));
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Resuming_after_any_stage_gives_the_whole_network_answer(string name, int stages)
    {
        using var scope = NewDisposeScope();
        using var network = Create(name, stages);
        network.eval();
        using var noGrad = no_grad();
        var images = Images(3);

        var whole = network.forward(images);
        var featureMap = network.FeatureMap(images);

        Assert.Equal([3L], whole.shape);
        Assert.Equal(network.Head.weight!.shape[1], featureMap.shape[1]);
        for (var stage = 0; stage <= stages; stage++)
        {
            var resumed = network.ForwardFrom(network.FeaturesThrough(images, stage), stage);
            Assert.True(allclose(resumed, whole, rtol: 1e-5, atol: 1e-5), $"resumed after stage {stage}");
        }
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void The_stages_and_the_head_hold_every_parameter_once(string name, int stages)
    {
        using var network = Create(name, stages);

        var owned = Enumerable.Range(0, stages + 1).SelectMany(network.StageParameters).Concat(network.Head.parameters()).ToList();

        Assert.Equal(network.parameters().Count(), owned.Count);
        Assert.Equal(owned.Count, owned.Distinct(ReferenceEqualityComparer.Instance).Count());
        Assert.All(network.parameters(), p => Assert.Contains(p, owned, ReferenceEqualityComparer.Instance));
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Frozen_stages_compute_the_same_features_after_a_training_step(string name, int stages)
    {
        using var scope = NewDisposeScope();
        using var network = Create(name, stages);
        for (var stage = 0; stage < stages; stage++)
            network.SetStageTrainable(stage, false);
        var images = Images(4);
        network.eval();
        var before = FeaturesThrough(network, images, stages - 1);
        var lastBefore = FeaturesThrough(network, images, stages);

        network.train();
        using var optimizer = optim.SGD(network.parameters().Where(p => p.requires_grad), 0.1);
        optimizer.zero_grad();
        nn.functional.binary_cross_entropy_with_logits(network.forward(images), tensor(new float[] { 0, 1, 0, 1 })).backward();
        optimizer.step();
        network.eval();

        // Frozen: the parameters and anything else the stages learn in training mode (batch-norm statistics).
        Assert.True(FeaturesThrough(network, images, stages - 1).equal(before).all().item<bool>());
        Assert.False(FeaturesThrough(network, images, stages).equal(lastBefore).all().item<bool>());
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Saved_weights_load_into_a_network_built_from_the_same_description(string name, int stages)
    {
        using var scope = NewDisposeScope();
        using var directory = new TempDirectory();
        var description = NetworkArchitectures.Get(name).Describe(stages, dropout: 0, pretrained: false);
        using var saved = NetworkArchitectures.Create(description, loadPretrainedWeights: false);
        using var loaded = NetworkArchitectures.Create(description, loadPretrainedWeights: false);
        saved.save(directory.Combine("weights.bin"));
        loaded.load(directory.Combine("weights.bin"));
        saved.eval();
        loaded.eval();
        using var noGrad = no_grad();
        var images = Images(2);

        Assert.True(loaded.forward(images).equal(saved.forward(images)).all().item<bool>());
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Prepared_for_serving_it_gives_the_trained_answers_to_the_precision_asked_for(string name, int stages)
    {
        using var scope = NewDisposeScope();
        var description = NetworkArchitectures.Get(name).Describe(stages, dropout: 0, pretrained: false);
        using var network = NetworkArchitectures.Create(description, loadPretrainedWeights: false);
        network.eval();
        using var noGrad = no_grad();
        var pixels = Images(4).to_type(ScalarType.Byte);
        var expectedFeatures = network.FeatureMap(pixels.to_type(ScalarType.Float32)).mean([2, 3]);
        var expectedLogits = network.forward(pixels.to_type(ScalarType.Float32));
        var scale = expectedFeatures.abs().max().item<float>();

        foreach (var precision in new[] { ServingPrecision.Fp32, ServingPrecision.Default, new ServingPrecision(InferencePrecision.Bf16, 1), new ServingPrecision(InferencePrecision.Bf16, stages + 1) })
        {
            using var served = ServingNetwork.CopyOf(network, description, precision);
            var features = ServingNetwork.Pool(served.FeatureMap(pixels));
            var logits = tensor(served.PredictLogits(pixels));

            // float32 within rounding (folding reorders the arithmetic); bfloat16 keeps 8 significant bits.
            var tolerance = precision == ServingPrecision.Fp32 ? 1e-4 : 0.05;
            Assert.True((features - expectedFeatures).abs().max().item<float>() <= tolerance * scale, $"{precision}: pooled features");
            Assert.Equal(network.Head.weight!.shape[1], served.FeatureCount);
            if (precision == ServingPrecision.Fp32)
                Assert.True(allclose(logits, expectedLogits, rtol: 1e-4, atol: 1e-4), $"{precision}: logits");
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => ServingNetwork.CopyOf(network, description, new ServingPrecision(InferencePrecision.Bf16, stages + 2)));
    }

    private static PneumoniaNetwork Create(string name, int stages) =>
        NetworkArchitectures.Create(NetworkArchitectures.Get(name).Describe(stages, dropout: 0, pretrained: false), loadPretrainedWeights: false);

    private static Tensor Images(int count)
    {
        using var generator = new Generator(3);
        return (rand(new long[] { count, 1, Size, Size }, generator: generator) * 255).floor();
    }

    private static Tensor FeaturesThrough(PneumoniaNetwork network, Tensor images, int stage)
    {
        using var noGrad = no_grad();
        return network.FeaturesThrough(images, stage);
    }
}
