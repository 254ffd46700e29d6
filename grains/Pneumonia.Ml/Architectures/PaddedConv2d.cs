using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Architectures;

/// <summary>
/// A bias-free square convolution with ONNX-style explicit padding [top, left, bottom, right]. CNTK exports pad
/// asymmetrically (more at the top/left), which a Conv2d's symmetric padding cannot express. After
/// <see cref="FoldBatchNorm"/> it is the convolution and its following (eval-mode) batch norm in one, with a bias.
/// </summary>
internal sealed class PaddedConv2d : nn.Module<Tensor, Tensor>
{
    private const string WeightName = "weight";
    private const string BiasName = "bias";
    private readonly long _kernelSize;
    private readonly long[] _stride;
    private readonly long[] _pads;

    public PaddedConv2d(long inChannels, long outChannels, long kernelSize, long stride, long[] pads)
        : base(nameof(PaddedConv2d))
    {
        var weight = empty(outChannels, inChannels, kernelSize, kernelSize);
        // As torchvision's ResNet: Kaiming normal, fan-out, for the ReLU that follows each conv/BN pair.
        nn.init.kaiming_normal_(weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        register_parameter(WeightName, new Parameter(weight));
        _kernelSize = kernelSize;
        _stride = [stride, stride];
        _pads = pads;
    }

    /// <summary>Looked up, not kept in a field: converting the module (e.g. to bfloat16) replaces the parameter.</summary>
    public Parameter Weight => get_parameter(WeightName)!;

    /// <summary>The folded batch norm's shift; null until <see cref="FoldBatchNorm"/>.</summary>
    private Parameter? Bias => get_parameter(BiasName);

    /// <summary>The folded batch norm's shift, the convolution's bias; null until <see cref="FoldBatchNorm"/>.</summary>
    public Tensor? FoldedBias => Bias;

    /// <summary>Whether <see cref="FoldBatchNorm"/> has merged the following batch norm into this convolution.</summary>
    public bool HasFoldedBatchNorm => Bias is not null;

    public long Stride => _stride[0];

    /// <summary>Padding in ONNX order: top, left, bottom, right.</summary>
    public IReadOnlyList<long> Pads => _pads;

    public override Tensor forward(Tensor input)
    {
        var (top, left, bottom, right) = (_pads[0], _pads[1], _pads[2], _pads[3]);
        // Symmetric padding where it reads the same windows (every even input size here) saves the copy an explicit
        // pad makes, and keeps for backward.
        if (SamePaddedOutput(input.shape[2], top, bottom) && SamePaddedOutput(input.shape[3], left, right))
            return nn.functional.conv2d(input, Weight, Bias, strides: _stride, padding: [top, left]);

        using var padded = nn.functional.pad(input, [left, right, top, bottom]);
        return nn.functional.conv2d(padded, Weight, Bias, strides: _stride);
    }

    /// <summary>
    /// Merges an eval-mode batch norm that follows this convolution into its weight and a new bias, for inference:
    /// one pass over the activations instead of two. Computed in float64 from the float32 parameters. The module then
    /// computes conv + BN, so the batch norm must no longer be applied (callers check <see cref="HasFoldedBatchNorm"/>),
    /// and it is no longer trainable as the saved architecture.
    /// </summary>
    public void FoldBatchNorm(BatchNorm2d batchNorm)
    {
        ArgumentNullException.ThrowIfNull(batchNorm);
        if (HasFoldedBatchNorm) throw new InvalidOperationException("this convolution already has a batch norm folded in");
        Tensor bias;
        using (NewDisposeScope())
        using (no_grad())
        {
            var variance = batchNorm.running_var!.to_type(ScalarType.Float64);
            var mean = batchNorm.running_mean!.to_type(ScalarType.Float64);
            var gamma = batchNorm.weight!.to_type(ScalarType.Float64);
            var beta = batchNorm.bias!.to_type(ScalarType.Float64);
            var scale = gamma / (variance + batchNorm.eps).sqrt();
            Weight.copy_((Weight.to_type(ScalarType.Float64) * scale.view(-1, 1, 1, 1)).to_type(Weight.dtype));
            bias = (beta - mean * scale).to_type(Weight.dtype).MoveToOuterDisposeScope();
        }
        register_parameter(BiasName, new Parameter(bias, requires_grad: false));
    }

    private bool SamePaddedOutput(long size, long before, long after) => SymmetricPaddingReadsSameWindows(size, before, after, _kernelSize, _stride[0]);

    /// <summary>
    /// Whether padding both sides by <paramref name="before"/> gives the windows that padding <paramref name="before"/>
    /// and <paramref name="after"/> gives: true when the output sizes agree, because the windows then start at the same
    /// offsets and any extra trailing rows are padding no window reaches.
    /// </summary>
    internal static bool SymmetricPaddingReadsSameWindows(long size, long before, long after, long kernel, long stride) =>
        before == after || (size + before + after - kernel) / stride == (size + 2 * before - kernel) / stride;
}
