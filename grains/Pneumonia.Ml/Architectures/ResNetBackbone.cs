using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Architectures;

/// <summary>
/// The ResNet-18 of the ML.NET ImageNet featurizer (CNTK export) rebuilt in TorchSharp: a stem and up to four stages
/// of basic residual blocks (64, 128, 256, 512 channels; 2, 2, 2, 3 blocks, or 2 in the last for the standard
/// ResNet-18), with the export's asymmetric padding.
/// Returns the feature map of the last kept stage, not pooled. Module names (<c>stem.conv</c>, <c>layer1.0.bn1</c>,
/// <c>layer2.0.downsample.conv</c>, ...) are stable because trained weights are saved by name.
/// </summary>
public sealed class ResNetBackbone : nn.Module<Tensor, Tensor>
{
    /// <summary>Number of residual stages of the full network.</summary>
    public const int MaxStages = 4;

    /// <summary>Blocks in the export's fourth stage (the standard ResNet-18 has two).</summary>
    public const int ExportStage4Blocks = 3;

    private static readonly int[] StageChannels = [64, 128, 256, 512];
    private static readonly int[] StageBlocks = [2, 2, 2];

    private readonly ResNetStem _stem;
    private readonly ModuleList<ResNetBasicBlock>[] _layers;
    private readonly bool[] _trainable;

    /// <summary>Builds a randomly initialised backbone that keeps the first <paramref name="stages"/> residual stages.</summary>
    /// <param name="stages">1..4; fewer stages give a smaller, higher-resolution feature map.</param>
    /// <param name="stage4Blocks">
    /// With four stages, how many of the export's three stage-4 blocks to keep, from the first (1..3): two make the
    /// standard ResNet-18 (11.2 M parameters against 15.9 M), the pretrained weights of the first two blocks kept.
    /// </param>
    public ResNetBackbone(int stages, int stage4Blocks = ExportStage4Blocks) : base(nameof(ResNetBackbone))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stages, MaxStages);
        ArgumentOutOfRangeException.ThrowIfLessThan(stage4Blocks, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stage4Blocks, ExportStage4Blocks);
        Stages = stages;
        _stem = new ResNetStem();
        register_module("stem", _stem);
        _layers = new ModuleList<ResNetBasicBlock>[stages];
        long inChannels = 64;
        for (var s = 0; s < stages; s++)
        {
            var blocks = new ResNetBasicBlock[s < StageBlocks.Length ? StageBlocks[s] : stage4Blocks];
            for (var b = 0; b < blocks.Length; b++)
            {
                // The first stage follows the max-pool at full channel count; later stages halve the resolution.
                var stride = b == 0 && s > 0 ? 2 : 1;
                blocks[b] = new ResNetBasicBlock(inChannels, StageChannels[s], stride);
                inChannels = StageChannels[s];
            }
            _layers[s] = new ModuleList<ResNetBasicBlock>(blocks);
            register_module($"layer{s + 1}", _layers[s]);
        }
        _trainable = Enumerable.Repeat(true, stages + 1).ToArray();
    }

    /// <summary>How many residual stages are kept (1..4).</summary>
    public int Stages { get; }

    /// <summary>Channels of the returned feature map: 64, 128, 256 or 512.</summary>
    public int OutputChannels => StageChannels[Stages - 1];

    internal ResNetStem Stem => _stem;

    /// <summary>The residual blocks in data-flow order, stage by stage.</summary>
    internal IEnumerable<ResNetBasicBlock> Blocks => _layers.SelectMany(layer => layer);

    /// <summary>Maps [N,3,H,W] (B,G,R minus the ImageNet means) to the last kept stage's feature map.</summary>
    public override Tensor forward(Tensor input)
    {
        using var stem = ForwardThrough(input, 0);
        return ForwardFrom(stem, 0);
    }

    /// <summary>Runs the stem (stage 0) and the residual stages 1..<paramref name="lastStage"/>.</summary>
    public Tensor ForwardThrough(Tensor input, int lastStage)
    {
        CheckStage(lastStage);
        return RunStages(_stem.forward(input), 1, lastStage);
    }

    /// <summary>Runs the stages after <paramref name="completedStage"/> on that stage's output, up to the last kept stage.</summary>
    public Tensor ForwardFrom(Tensor features, int completedStage)
    {
        CheckStage(completedStage);
        // An alias, so that the caller's handle survives RunStages disposing each intermediate result.
        return RunStages(features.alias(), completedStage + 1, Stages);
    }

    private Tensor RunStages(Tensor x, int firstStage, int lastStage)
    {
        for (var stage = firstStage; stage <= lastStage; stage++)
        {
            foreach (var block in _layers[stage - 1])
            {
                using var previous = x;
                x = block.forward(previous);
            }
        }
        return x;
    }

    /// <summary>
    /// Describes the stem and the kept stages to <paramref name="builder"/>, from <paramref name="input"/> (the centred
    /// [N,3,S,S] tensor, quantised); returns the feature map's name. Needs folded batch norms (<see cref="FoldBatchNorm"/>).
    /// Quantisation points, named as the weights are: "stem" (after its ReLU, before the max-pool, which keeps the
    /// scale), and per block "layerS.B.conv1" (after its ReLU), "layerS.B.conv2" (before the add),
    /// "layerS.B.downsample" and "layerS.B" (the block's output after the add and ReLU).
    /// </summary>
    internal string DescribeFeatureGraph(FeatureGraphBuilder builder, string input)
    {
        static (Tensor Weight, Tensor Bias) Folded(PaddedConv2d conv) =>
            (conv.Weight, conv.FoldedBias ?? throw new InvalidOperationException("the feature graph takes folded batch norms: prepare the network for inference first"));

        var (stemWeight, stemBias) = Folded(_stem.Conv);
        var x = builder.Activation("stem", builder.Relu(builder.Conv(input, stemWeight, stemBias, _stem.Conv.Stride, _stem.Conv.Pads)));
        x = builder.MaxPool(x, ResNetStem.PoolKernel, ResNetStem.PoolStride, ResNetStem.PoolPads);
        for (var s = 0; s < Stages; s++)
        {
            var b = 0;
            foreach (var block in _layers[s])
            {
                var name = $"layer{s + 1}.{b++}";
                var (w1, b1) = Folded(block.Conv1);
                var (w2, b2) = Folded(block.Conv2);
                var first = builder.Activation($"{name}.conv1", builder.Relu(builder.Conv(x, w1, b1, block.Conv1.Stride, block.Conv1.Pads)));
                var second = builder.Activation($"{name}.conv2", builder.Conv(first, w2, b2, block.Conv2.Stride, block.Conv2.Pads));
                var shortcut = x;
                if (block.Downsample is { } projection)
                {
                    var (wd, bd) = Folded(projection.Conv);
                    shortcut = builder.Activation($"{name}.downsample", builder.Conv(x, wd, bd, projection.Conv.Stride, projection.Conv.Pads));
                }
                x = builder.Activation(name, builder.Relu(builder.Add(second, shortcut)));
            }
        }
        return x;
    }

    /// <summary>Converts the parameters and buffers of stages <paramref name="firstStage"/>..<see cref="Stages"/> (0 = the stem) to <paramref name="type"/>.</summary>
    public void ConvertStages(int firstStage, ScalarType type)
    {
        for (var stage = firstStage; stage <= Stages; stage++)
        {
            StageModule(stage).to(type);
        }
    }

    /// <summary>
    /// For inference only: merges every batch norm into the convolution before it (in eval mode, a batch norm is a
    /// per-channel scale and shift), so each conv/BN pair is one pass over the activations. Call on a float32 backbone
    /// in eval mode, before any precision conversion; the backbone can no longer be trained or saved as this
    /// architecture afterwards.
    /// </summary>
    public void FoldBatchNorm()
    {
        if (training) throw new InvalidOperationException("batch norms are folded for inference: call eval() first");
        _stem.FoldBatchNorm();
        foreach (var block in Blocks)
            block.FoldBatchNorm();
    }

    /// <summary>Parameters of one stage: 0 is the stem, 1..<see cref="Stages"/> the residual stages.</summary>
    public IEnumerable<Parameter> StageParameters(int stage) => StageModule(stage).parameters();

    /// <summary>Whether a stage's parameters take gradients and its batch-norm layers learn statistics.</summary>
    public bool IsStageTrainable(int stage)
    {
        CheckStage(stage);
        return _trainable[stage];
    }

    /// <summary>
    /// Freezes or unfreezes a stage (0 = stem): sets requires_grad on its parameters, and a frozen stage's batch-norm
    /// layers stay in eval mode even when the network is put in training mode (see <see cref="train"/>).
    /// </summary>
    public void SetStageTrainable(int stage, bool trainable)
    {
        foreach (var parameter in StageParameters(stage))
            parameter.requires_grad = trainable;
        _trainable[stage] = trainable;
        if (training)
            train(true);
    }

    /// <summary>
    /// Sets training mode, keeping the batch-norm layers of frozen stages in eval mode.
    /// </summary>
    /// <remarks>
    /// Done here rather than in a separate "freeze statistics" call that a trainer would have to repeat after every
    /// <c>train()</c>: forgetting it lets a frozen stage's running statistics drift with the new data while its
    /// weights stay fixed, silently changing the features the head was trained on. Parents' <c>train()</c> reaches
    /// this override because TorchSharp calls it virtually on each child.
    /// </remarks>
    public override void train(bool train = true)
    {
        base.train(train);
        if (!train)
            return;
        for (var stage = 0; stage <= Stages; stage++)
        {
            if (_trainable[stage])
                continue;
            foreach (var batchNorm in StageModule(stage).modules().OfType<BatchNorm2d>())
                batchNorm.eval();
        }
    }

    private nn.Module StageModule(int stage)
    {
        CheckStage(stage);
        return stage == 0 ? _stem : _layers[stage - 1];
    }

    private void CheckStage(int stage)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stage);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stage, Stages);
    }
}
