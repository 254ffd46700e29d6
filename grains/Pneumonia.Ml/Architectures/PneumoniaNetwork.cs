using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Architectures;

/// <summary>
/// Grey chest X-ray in, one pneumonia logit out: [N,1,S,S] raw pixel values 0..255 are repeated to the three channels
/// the ImageNet backbone expects, centred with the per-channel ImageNet means (B,G,R), passed through
/// <see cref="ResNetBackbone"/>, globally average-pooled, dropped out and mapped to a logit by a linear head.
/// Because the head is linear after the average pool, <c>Head.weight · FeatureMap(x)</c> is the class-activation map.
/// </summary>
public sealed class PneumoniaNetwork : nn.Module<Tensor, Tensor>
{
    private const string InputMeanBuffer = "input_mean";
    private readonly ResNetBackbone _backbone;
    private readonly Dropout _dropout;
    private readonly Linear _head;

    /// <param name="backboneStages">Residual stages of the backbone to keep (1..4).</param>
    /// <param name="dropout">Dropout probability before the head, in [0, 1).</param>
    /// <param name="channelMeans">Three means in B,G,R order, e.g. <see cref="ImageNetPreprocessing.ChannelMeans"/>.</param>
    public PneumoniaNetwork(int backboneStages, double dropout, float[] channelMeans) : base(nameof(PneumoniaNetwork))
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dropout);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(dropout, 1.0);
        ArgumentNullException.ThrowIfNull(channelMeans);
        ArgumentOutOfRangeException.ThrowIfNotEqual(channelMeans.Length, 3, nameof(channelMeans));

        // A buffer, not a constant: saved with the weights, so a model file carries its own input convention.
        register_buffer(InputMeanBuffer, tensor(channelMeans, [1, 3, 1, 1]));
        _backbone = new ResNetBackbone(backboneStages);
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
    /// took more memory, so training keeps NCHW.
    /// </summary>
    public bool ChannelsLast { get; set; }

    /// <summary>The feature extractor; load ImageNet weights or freeze stages through it.</summary>
    public ResNetBackbone Backbone => _backbone;

    /// <summary>The linear head: weight [1, OutputChannels], bias [1].</summary>
    public Linear Head => _head;

    /// <summary>Logits [N] for grey images [N,1,S,S] with pixel values 0..255.</summary>
    public override Tensor forward(Tensor input)
    {
        using var stem = FeaturesThrough(input, 0);
        return ForwardFrom(stem, 0);
    }

    /// <summary>The last backbone stage's feature map [N, OutputChannels, h, w] for grey images [N,1,S,S].</summary>
    public Tensor FeatureMap(Tensor input) => FeaturesThrough(input, _backbone.Stages);

    /// <summary>
    /// The feature map after backbone stage <paramref name="lastStage"/> (0 = the stem) for grey images [N,1,S,S]:
    /// the part of the network a training run may compute once and cache when those stages are frozen.
    /// </summary>
    public Tensor FeaturesThrough(Tensor input, int lastStage)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4 || input.shape[1] != 1)
            throw new ArgumentException($"Expected grey images [N,1,S,S], got [{string.Join(",", input.shape)}].", nameof(input));
        using var bgr = input.expand(-1, 3, -1, -1);
        // Looked up, not kept in a field: converting the module (e.g. to bfloat16) replaces the buffer's tensor.
        using var centred = bgr - get_buffer(InputMeanBuffer)!;
        if (!ChannelsLast) return _backbone.ForwardThrough(centred, lastStage);
        using var channelsLast = ToChannelsLast(centred);
        return _backbone.ForwardThrough(channelsLast, lastStage);
    }

    /// <summary>The same [N,C,H,W] tensor with NHWC strides: libtorch keeps that layout through every convolution, ReLU and add that follows.</summary>
    private static Tensor ToChannelsLast(Tensor input)
    {
        using var nhwc = input.permute(0, 2, 3, 1).contiguous();
        return nhwc.permute(0, 3, 1, 2);
    }

    /// <summary>Logits [N] from the output of backbone stage <paramref name="completedStage"/> (see <see cref="FeaturesThrough"/>).</summary>
    public Tensor ForwardFrom(Tensor features, int completedStage)
    {
        using var last = _backbone.ForwardFrom(features, completedStage);
        using var pooled = last.mean([2, 3]);
        using var dropped = _dropout.forward(pooled);
        using var logits = _head.forward(dropped);
        return logits.squeeze(1);
    }
}
