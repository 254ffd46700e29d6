using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Architectures;

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
        using var relu = ConvolutionWithBatchNorm.Forward(Conv, Bn, input).relu_();
        var (top, left, bottom, right) = (PoolPads[0], PoolPads[1], PoolPads[2], PoolPads[3]);
        // As in PaddedConv2d: padding both sides by the top/left amount reads the same windows when the output size
        // agrees, and max_pool2d's own padding never wins the max, as ONNX's does not: no padded copy needed.
        // (max_pool2d takes one padding for both dimensions, hence top == left.)
        if (top == left && PaddedConv2d.SymmetricPaddingReadsSameWindows(relu.shape[2], top, bottom, PoolKernel, PoolStride)
            && PaddedConv2d.SymmetricPaddingReadsSameWindows(relu.shape[3], left, right, PoolKernel, PoolStride))
            return nn.functional.max_pool2d(relu, PoolKernel, PoolStride, top);

        // ONNX max-pool padding never wins the max, so pad with -inf. (After the ReLU, 0 would give the same
        // result because every window holds at least one real value >= 0, but -inf does not depend on that.)
        using var padded = nn.functional.pad(relu, [left, right, top, bottom], value: double.NegativeInfinity);
        return nn.functional.max_pool2d(padded, PoolKernel, PoolStride);
    }

    /// <summary>Merges the batch norm into the convolution for inference (see <see cref="PaddedConv2d.FoldBatchNorm"/>).</summary>
    public void FoldBatchNorm() => Conv.FoldBatchNorm(Bn);
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

    public override Tensor forward(Tensor input) => ConvolutionWithBatchNorm.Forward(Conv, Bn, input);

    /// <summary>Merges the batch norm into the convolution for inference (see <see cref="PaddedConv2d.FoldBatchNorm"/>).</summary>
    public void FoldBatchNorm() => Conv.FoldBatchNorm(Bn);
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
        // In place where autograd allows it (as torchvision does): ReLU's backward needs only its output, and neither
        // batch norm's nor a biased convolution's backward needs theirs, so no extra activation-sized tensors.
        using var relu1 = ConvolutionWithBatchNorm.Forward(Conv1, Bn1, input).relu_();
        var output = ConvolutionWithBatchNorm.Forward(Conv2, Bn2, relu1);
        using var projected = Downsample?.forward(input);
        return output.add_(projected ?? input).relu_();
    }

    /// <summary>Merges each batch norm into its convolution for inference (see <see cref="PaddedConv2d.FoldBatchNorm"/>).</summary>
    public void FoldBatchNorm()
    {
        Conv1.FoldBatchNorm(Bn1);
        Conv2.FoldBatchNorm(Bn2);
        Downsample?.FoldBatchNorm();
    }
}

/// <summary>A convolution followed by its batch norm, unless the batch norm has been folded into the convolution.</summary>
internal static class ConvolutionWithBatchNorm
{
    public static Tensor Forward(PaddedConv2d conv, BatchNorm2d batchNorm, Tensor input)
    {
        if (conv.HasFoldedBatchNorm) return conv.forward(input);
        using var convolved = conv.forward(input);
        return batchNorm.forward(convolved);
    }
}
