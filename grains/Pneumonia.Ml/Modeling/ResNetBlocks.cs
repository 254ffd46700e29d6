using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Modeling;

// Submodules live in fields named like their registration ("conv" for "conv"): TorchSharp also registers fields
// by name minus the underscore, and an auto-property's backing field would be registered a second time under
// "<Conv>k__BackingField", doubling every saved model.

/// <summary>Conv 7x7/2 + BN + ReLU + max-pool 3x3/2, padded as the CNTK export pads them.</summary>
internal sealed class ResNetStem : nn.Module<Tensor, Tensor>
{
    public const long PoolKernel = 3, PoolStride = 2;

    /// <summary>Max-pool padding in ONNX order (top, left, bottom, right).</summary>
    public static readonly long[] PoolPads = [1, 1, 0, 0];

    public ResNetStem() : base(nameof(ResNetStem))
    {
        conv = new PaddedConv2d(3, 64, kernelSize: 7, stride: 2, pads: [3, 3, 2, 2]);
        bn = nn.BatchNorm2d(64);
        register_module("conv", Conv);
        register_module("bn", Bn);
    }

    private readonly PaddedConv2d conv;

    public PaddedConv2d Conv => conv;

    private readonly BatchNorm2d bn;

    public BatchNorm2d Bn => bn;

    public override Tensor forward(Tensor input)
    {
        using var conv = Conv.forward(input);
        using var bn = Bn.forward(conv);
        using var relu = nn.functional.relu(bn);
        // ONNX max-pool padding never wins the max, so pad with -inf. (After the ReLU, 0 would give the same
        // result because every window holds at least one real value >= 0, but -inf does not depend on that.)
        using var padded = nn.functional.pad(relu, [PoolPads[1], PoolPads[3], PoolPads[0], PoolPads[2]], value: double.NegativeInfinity);
        return nn.functional.max_pool2d(padded, PoolKernel, PoolStride);
    }
}

/// <summary>The 1x1 projection shortcut used where a block changes the channel count or the resolution.</summary>
internal sealed class ResNetProjection : nn.Module<Tensor, Tensor>
{
    public ResNetProjection(long inChannels, long outChannels, long stride) : base(nameof(ResNetProjection))
    {
        conv = new PaddedConv2d(inChannels, outChannels, kernelSize: 1, stride: stride, pads: [0, 0, 0, 0]);
        bn = nn.BatchNorm2d(outChannels);
        register_module("conv", Conv);
        register_module("bn", Bn);
    }

    private readonly PaddedConv2d conv;

    public PaddedConv2d Conv => conv;

    private readonly BatchNorm2d bn;

    public BatchNorm2d Bn => bn;

    public override Tensor forward(Tensor input)
    {
        using var conv = Conv.forward(input);
        return Bn.forward(conv);
    }
}

/// <summary>A basic residual block: two 3x3 conv/BN pairs plus an identity or projection shortcut.</summary>
internal sealed class ResNetBasicBlock : nn.Module<Tensor, Tensor>
{
    public ResNetBasicBlock(long inChannels, long outChannels, long stride) : base(nameof(ResNetBasicBlock))
    {
        // CNTK pads the strided 3x3 convs at the top/left only.
        long[] firstPads = stride == 1 ? [1, 1, 1, 1] : [1, 1, 0, 0];
        conv1 = new PaddedConv2d(inChannels, outChannels, kernelSize: 3, stride: stride, pads: firstPads);
        bn1 = nn.BatchNorm2d(outChannels);
        conv2 = new PaddedConv2d(outChannels, outChannels, kernelSize: 3, stride: 1, pads: [1, 1, 1, 1]);
        bn2 = nn.BatchNorm2d(outChannels);
        register_module("conv1", Conv1);
        register_module("bn1", Bn1);
        register_module("conv2", Conv2);
        register_module("bn2", Bn2);
        if (stride != 1 || inChannels != outChannels)
        {
            downsample = new ResNetProjection(inChannels, outChannels, stride);
            register_module("downsample", downsample);
        }
    }

    private readonly PaddedConv2d conv1;

    public PaddedConv2d Conv1 => conv1;

    private readonly BatchNorm2d bn1;

    public BatchNorm2d Bn1 => bn1;

    private readonly PaddedConv2d conv2;

    public PaddedConv2d Conv2 => conv2;

    private readonly BatchNorm2d bn2;

    public BatchNorm2d Bn2 => bn2;

    private readonly ResNetProjection? downsample;

    public ResNetProjection? Downsample => downsample;

    public override Tensor forward(Tensor input)
    {
        using var conv1 = Conv1.forward(input);
        using var bn1 = Bn1.forward(conv1);
        using var relu1 = nn.functional.relu(bn1);
        using var conv2 = Conv2.forward(relu1);
        using var bn2 = Bn2.forward(conv2);
        using var projected = Downsample?.forward(input);
        using var sum = bn2 + (projected ?? input);
        return nn.functional.relu(sum);
    }
}
