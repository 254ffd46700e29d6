using Pneumonia.Ml.Architectures;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Tests.Architectures;

/// <summary>
/// A second architecture that exists only in this test project, to prove the seam: a few strided 3x3 convolutions with
/// ReLUs, no pretrained weights, no batch norms. Nothing in training, packaging or serving knows it; it is registered
/// in one place (<see cref="TestArchitectures.Register"/>) and found by the name its cards record.
/// </summary>
internal sealed class TinyCnnArchitecture : INetworkArchitecture
{
    public const string ArchitectureName = "tiny-cnn-test";

    private TinyCnnArchitecture()
    {
    }

    public static TinyCnnArchitecture Instance { get; } = new();

    public string Name => ArchitectureName;

    public int MaxStages => TinyCnnNetwork.MaxStages;

    public ModelArchitecture Describe(int stages, double dropout, bool pretrained)
    {
        if (pretrained) throw new NotSupportedException($"{ArchitectureName} has no pretrained weights");
        using var probe = new TinyCnnNetwork(stages);
        return new ModelArchitecture(ArchitectureName, stages, dropout, probe.parameters().Sum(p => p.numel()), NetworkArchitectures.RandomInitialisation);
    }

    public PneumoniaNetwork Build(ModelArchitecture architecture) => new TinyCnnNetwork(architecture.BackboneStages);

    public void LoadPretrainedWeights(PneumoniaNetwork network, ModelArchitecture architecture) =>
        throw new NotSupportedException($"{ArchitectureName} has no pretrained weights");
}

/// <summary>The one place this test project registers its architectures: every test that uses one calls it first.</summary>
internal static class TestArchitectures
{
    public static void Register() => NetworkArchitectures.Register(TinyCnnArchitecture.Instance);
}

/// <summary>
/// Stage 0 scales the pixels to [-0.5, 0.5] and convolves them to 8 channels at half resolution; each further stage
/// doubles the channels and halves the resolution again.
/// </summary>
internal sealed class TinyCnnNetwork : PneumoniaNetwork
{
    public const int MaxStages = 3;

    // Fields named like their registrations (TorchSharp registers fields by name minus the underscore).
    private readonly ModuleList<Sequential> _layers;
    private readonly Linear _head;

    public TinyCnnNetwork(int stages) : base(nameof(TinyCnnNetwork))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stages, MaxStages);
        var layers = new Sequential[stages + 1];
        long channels = 8;
        layers[0] = nn.Sequential(("conv", nn.Conv2d(1, channels, 3, stride: 2, padding: 1)), ("relu", nn.ReLU()));
        for (var stage = 1; stage <= stages; stage++, channels *= 2)
            layers[stage] = nn.Sequential(("conv", nn.Conv2d(channels, channels * 2, 3, stride: 2, padding: 1)), ("relu", nn.ReLU()));
        _layers = new ModuleList<Sequential>(layers);
        register_module("layers", _layers);
        _head = nn.Linear(channels, 1);
        register_module("head", _head);
    }

    public override int Stages => _layers.Count - 1;

    public override Linear Head => _head;

    public override IEnumerable<Parameter> StageParameters(int stage) => _layers[stage].parameters();

    public override void SetStageTrainable(int stage, bool trainable)
    {
        // No batch norms: the parameters are all a stage learns.
        foreach (var parameter in StageParameters(stage))
            parameter.requires_grad = trainable;
    }

    protected override Tensor RunThrough(Tensor input, int lastStage)
    {
        using var scaled = input / 255.0;
        using var centred = scaled - 0.5;
        return Run(centred, 0, lastStage);
    }

    protected override Tensor RunFrom(Tensor features, int completedStage) => Run(features, completedStage + 1, Stages);

    protected override void PrepareForInferenceCore(int? bfloat16FromStage)
    {
        if (bfloat16FromStage is not { } first) return;
        for (var stage = first; stage <= Stages; stage++)
            _layers[stage].to(ScalarType.BFloat16);
    }

    private Tensor Run(Tensor input, int firstStage, int lastStage)
    {
        var x = input.alias();
        for (var stage = firstStage; stage <= lastStage; stage++)
        {
            using var previous = x;
            x = _layers[stage].forward(previous);
        }

        return x;
    }
}
