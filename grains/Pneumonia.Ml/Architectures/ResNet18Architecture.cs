using Pneumonia.Ml.Packages;

namespace Pneumonia.Ml.Architectures;

/// <summary>
/// ResNet-18 with the ImageNet weights of the ML.NET featurizer (<see cref="ImageNetResNet18Weights"/>), truncated to
/// its first 1..4 residual stages, with a one-logit head (<see cref="ResNet18Network"/>). Two members:
/// <see cref="Instance"/> keeps the export's blocks (three in stage 4), <see cref="StandardDepth"/> the standard
/// ResNet-18's (two in stage 4: with all four stages, 11.2 M parameters, within 25 MB in bf16).
/// </summary>
public sealed class ResNet18Architecture : INetworkArchitecture
{
    /// <summary>The name on every card of the export's blocks.</summary>
    public const string ArchitectureName = "resnet18-imagenet";

    /// <summary>The name on every card of the standard depth: 2, 2, 2, 2 blocks.</summary>
    public const string StandardDepthName = "resnet18-imagenet-2-2-2-2";

    private readonly int _stage4Blocks;

    // The means are constants of the package's preprocessing graph: read once.
    private static readonly Lazy<float[]> s_channelMeans = new(() => ImageNetPreprocessing.Load(ImageNetPreprocessing.DefaultOnnxPath).ChannelMeans());

    private ResNet18Architecture(string name, int stage4Blocks)
    {
        Name = name;
        _stage4Blocks = stage4Blocks;
    }

    public static ResNet18Architecture Instance { get; } = new(ArchitectureName, ResNetBackbone.ExportStage4Blocks);

    /// <summary>The standard ResNet-18's depth: the export's first two stage-4 blocks, the third left out.</summary>
    public static ResNet18Architecture StandardDepth { get; } = new(StandardDepthName, 2);

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int MaxStages => ResNetBackbone.MaxStages;

    /// <inheritdoc/>
    /// <remarks>The pretrained source reads e.g. "Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 ResNet18.onnx sha256:…".</remarks>
    public ModelArchitecture Describe(int stages, double dropout, bool pretrained)
    {
        using var probe = new ResNet18Network(stages, dropout, s_channelMeans.Value, _stage4Blocks);
        var parameters = probe.parameters().Sum(p => p.numel());
        var source = pretrained
            ? $"{ImageNetResNet18Weights.Package} {Path.GetFileName(ImageNetResNet18Weights.DefaultOnnxPath)} sha256:{ModelPackage.HashFile(ImageNetResNet18Weights.DefaultOnnxPath)}"
            : NetworkArchitectures.RandomInitialisation;
        return new ModelArchitecture(Name, stages, dropout, parameters, source);
    }

    /// <inheritdoc/>
    public PneumoniaNetwork Build(ModelArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        return new ResNet18Network(architecture.BackboneStages, architecture.Dropout, s_channelMeans.Value, _stage4Blocks);
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
