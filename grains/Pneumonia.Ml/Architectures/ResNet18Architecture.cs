using Pneumonia.Ml.Packages;

namespace Pneumonia.Ml.Architectures;

/// <summary>
/// ResNet-18 with the ImageNet weights of the ML.NET featurizer (<see cref="ImageNetResNet18Weights"/>), truncated to
/// its first 1..4 residual stages, with a one-logit head (<see cref="ResNet18Network"/>).
/// </summary>
public sealed class ResNet18Architecture : INetworkArchitecture
{
    /// <summary>The name on every card of this family.</summary>
    public const string ArchitectureName = "resnet18-imagenet";

    // The means are constants of the package's preprocessing graph: read once.
    private static readonly Lazy<float[]> s_channelMeans = new(() => ImageNetPreprocessing.Load(ImageNetPreprocessing.DefaultOnnxPath).ChannelMeans());

    private ResNet18Architecture()
    {
    }

    public static ResNet18Architecture Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => ArchitectureName;

    /// <inheritdoc/>
    public int MaxStages => ResNetBackbone.MaxStages;

    /// <inheritdoc/>
    /// <remarks>The pretrained source reads e.g. "Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 ResNet18.onnx sha256:…".</remarks>
    public ModelArchitecture Describe(int stages, double dropout, bool pretrained)
    {
        using var probe = new ResNet18Network(stages, dropout, s_channelMeans.Value);
        var parameters = probe.parameters().Sum(p => p.numel());
        var source = pretrained
            ? $"{ImageNetResNet18Weights.Package} {Path.GetFileName(ImageNetResNet18Weights.DefaultOnnxPath)} sha256:{ModelPackage.HashFile(ImageNetResNet18Weights.DefaultOnnxPath)}"
            : NetworkArchitectures.RandomInitialisation;
        return new ModelArchitecture(ArchitectureName, stages, dropout, parameters, source);
    }

    /// <inheritdoc/>
    public PneumoniaNetwork Build(ModelArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        return new ResNet18Network(architecture.BackboneStages, architecture.Dropout, s_channelMeans.Value);
    }

    /// <inheritdoc/>
    /// <remarks>The weights come from the package this build references, whatever hash the description records.</remarks>
    public void LoadPretrainedWeights(PneumoniaNetwork network, ModelArchitecture architecture)
    {
        var resNet = network as ResNet18Network
            ?? throw new ArgumentException($"a {network?.GetType().Name ?? "null"} is not a {nameof(ResNet18Network)}", nameof(network));
        ImageNetResNet18Weights.LoadInto(resNet.Backbone, ImageNetResNet18Weights.DefaultOnnxPath);
    }
}
