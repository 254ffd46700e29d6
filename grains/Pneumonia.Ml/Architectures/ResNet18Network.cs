using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Architectures;

/// <summary>
/// The <see cref="ResNet18Architecture"/>'s network: the [N,1,S,S] raw pixel values 0..255 are repeated to the three
/// channels the ImageNet backbone expects, centred with the per-channel ImageNet means (B,G,R), and passed through
/// <see cref="ResNetBackbone"/>, whose stem is stage 0 and whose residual stages are stages 1..4.
/// </summary>
public sealed class ResNet18Network : PneumoniaNetwork
{
    private const string InputMeanBuffer = "input_mean";

    // Registered in this order under these names: the saved weights of every model are named so.
    private readonly ResNetBackbone _backbone;
    private readonly Dropout _dropout;
    private readonly Linear _head;

    /// <param name="backboneStages">Residual stages of the backbone to keep (1..4).</param>
    /// <param name="dropout">Dropout probability before the head, in [0, 1).</param>
    /// <param name="channelMeans">Three means in B,G,R order, e.g. <see cref="ImageNetPreprocessing.ChannelMeans"/>.</param>
    /// <param name="stage4Blocks">With four stages, the blocks of the fourth kept (<see cref="ResNetBackbone(int, int)"/>).</param>
    public ResNet18Network(int backboneStages, double dropout, float[] channelMeans, int stage4Blocks = ResNetBackbone.ExportStage4Blocks) : base(nameof(ResNet18Network))
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dropout);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(dropout, 1.0);
        ArgumentNullException.ThrowIfNull(channelMeans);
        ArgumentOutOfRangeException.ThrowIfNotEqual(channelMeans.Length, 3, nameof(channelMeans));

        // A buffer, not a constant: saved with the weights, so a model file carries its own input convention.
        register_buffer(InputMeanBuffer, tensor(channelMeans, [1, 3, 1, 1]));
        _backbone = new ResNetBackbone(backboneStages, stage4Blocks);
        register_module("backbone", _backbone);
        _dropout = nn.Dropout(dropout);
        register_module("dropout", _dropout);
        _head = nn.Linear(_backbone.OutputChannels, 1);
        register_module("head", _head);
    }

    /// <summary>
    /// Whether the backbone computes in channels-last layout (the same [N,C,H,W] tensors with NHWC strides). oneDNN's
    /// CPU convolutions work in a channels-last layout, so NCHW activations are reordered before and after every
    /// convolution; channels-last skips that. Measured for inference here: 1.6x the bf16 rate at batch 16, 1.2x at
    /// batch 1, the same answers. Off by default: for training (a retrain through the API) it gained about 5% and
    /// took more memory, so training keeps NCHW; <see cref="PneumoniaNetwork.PrepareForInference"/> turns it on.
    /// </summary>
    public bool ChannelsLast { get; set; }

    /// <summary>The feature extractor; load ImageNet weights into it.</summary>
    public ResNetBackbone Backbone => _backbone;

    /// <inheritdoc/>
    public override int Stages => _backbone.Stages;

    /// <inheritdoc/>
    public override Linear Head => _head;

    /// <inheritdoc/>
    public override IEnumerable<Parameter> StageParameters(int stage) => _backbone.StageParameters(stage);

    /// <inheritdoc/>
    /// <remarks>A frozen stage's batch norms stay in eval mode through later <c>train()</c> calls (see <see cref="ResNetBackbone.train"/>).</remarks>
    public override void SetStageTrainable(int stage, bool trainable) => _backbone.SetStageTrainable(stage, trainable);

    /// <inheritdoc/>
    protected override Tensor RunThrough(Tensor input, int lastStage)
    {
        using var bgr = input.expand(-1, 3, -1, -1);
        // Looked up, not kept in a field: converting the module (e.g. to bfloat16) replaces the buffer's tensor.
        using var centred = bgr - get_buffer(InputMeanBuffer)!;
        if (!ChannelsLast) return _backbone.ForwardThrough(centred, lastStage);
        using var channelsLast = ToChannelsLast(centred);
        return _backbone.ForwardThrough(channelsLast, lastStage);
    }

    /// <inheritdoc/>
    protected override Tensor RunFrom(Tensor features, int completedStage) => _backbone.ForwardFrom(features, completedStage);

    /// <inheritdoc/>
    protected override Tensor DropBeforeHead(Tensor pooled) => _dropout.forward(pooled);

    /// <summary>
    /// Each batch norm folded into its convolution (in float64), channels-last layout, then the stages from
    /// <paramref name="bfloat16FromStage"/> converted to bfloat16.
    /// </summary>
    protected override void PrepareForInferenceCore(int? bfloat16FromStage)
    {
        // Each conv/BN pair becomes one convolution. Folding before the conversion also keeps bf16 honest: bf16 batch
        // norms (a tiny running variance plus eps, rounded to 8 bits) were what moved labels in all-bf16 serving.
        _backbone.FoldBatchNorm();
        ChannelsLast = true;
        if (bfloat16FromStage is not { } first) return;
        if (first == 0)
        {
            // The input mean too: the pixels arrive in bfloat16.
            this.to(ScalarType.BFloat16);
            // The head stays float: in bfloat16 the logit itself would be rounded to 3 significant digits.
            _head.to(ScalarType.Float32);
        }
        else
        {
            _backbone.ConvertStages(first, ScalarType.BFloat16);
        }
    }

    /// <inheritdoc/>
    public override bool HasFeatureGraph => true;

    /// <inheritdoc/>
    /// <remarks>Quantisation points: the centred input, then the points <see cref="ResNetBackbone.DescribeFeatureGraph"/> names.</remarks>
    public override bool TryDescribeFeatureGraph(FeatureGraphBuilder builder, out string featureMap)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var means = get_buffer(InputMeanBuffer)!;
        if (means.dtype != ScalarType.Float32)
            throw new InvalidOperationException("the feature graph takes a network prepared in float32");
        using var contiguous = means.contiguous();
        var centred = builder.Activation("input", builder.Subtract(FeatureGraphBuilder.InputName, contiguous.data<float>().ToArray(), [1, 3, 1, 1]));
        featureMap = _backbone.DescribeFeatureGraph(builder, centred);
        return true;
    }

    /// <summary>The same [N,C,H,W] tensor with NHWC strides: libtorch keeps that layout through every convolution, ReLU and add that follows.</summary>
    private static Tensor ToChannelsLast(Tensor input)
    {
        using var nhwc = input.permute(0, 2, 3, 1).contiguous();
        return nhwc.permute(0, 3, 1, 2);
    }
}
