using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Modeling;

/// <summary>
/// A bias-free square convolution with ONNX-style explicit padding [top, left, bottom, right]. CNTK exports pad
/// asymmetrically (more at the top/left), which a Conv2d's symmetric padding cannot express.
/// </summary>
internal sealed class PaddedConv2d : nn.Module<Tensor, Tensor>
{
    private const string WeightName = "weight";
    private readonly long[] _stride;
    private readonly long[] _pads;

    public PaddedConv2d(long inChannels, long outChannels, long kernelSize, long stride, long[] pads)
        : base(nameof(PaddedConv2d))
    {
        var weight = empty(outChannels, inChannels, kernelSize, kernelSize);
        // As torchvision's ResNet: Kaiming normal, fan-out, for the ReLU that follows each conv/BN pair.
        nn.init.kaiming_normal_(weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        register_parameter(WeightName, new Parameter(weight));
        _stride = [stride, stride];
        _pads = pads;
    }

    /// <summary>Looked up, not kept in a field: converting the module (e.g. to bfloat16) replaces the parameter.</summary>
    public Parameter Weight => get_parameter(WeightName)!;

    public long Stride => _stride[0];

    /// <summary>Padding in ONNX order: top, left, bottom, right.</summary>
    public IReadOnlyList<long> Pads => _pads;

    public override Tensor forward(Tensor input)
    {
        var (top, left, bottom, right) = (_pads[0], _pads[1], _pads[2], _pads[3]);
        if (top == bottom && left == right)
            return nn.functional.conv2d(input, Weight, strides: _stride, padding: [top, left]);

        using var padded = nn.functional.pad(input, [left, right, top, bottom]);
        return nn.functional.conv2d(padded, Weight, strides: _stride);
    }
}
