using Pneumonia.Ml.Packages;

namespace Pneumonia.Ml.Architectures;

/// <summary>Builds networks from their description: new ones from the ImageNet backbone, or shells for saved weights.</summary>
public static class NetworkFactory
{
    public const string ArchitectureName = "resnet18-imagenet";
    public const string RandomInitialisation = "random";

    // The means are constants of the package's preprocessing graph: read once.
    private static readonly Lazy<float[]> s_channelMeans = new(() => ImageNetPreprocessing.Load(ImageNetPreprocessing.DefaultOnnxPath).ChannelMeans());

    /// <summary>Describes a new network; <paramref name="pretrained"/> picks the ImageNet weights over random ones.</summary>
    public static ModelArchitecture Describe(int backboneStages, double dropout, bool pretrained)
    {
        using var probe = new PneumoniaNetwork(backboneStages, dropout, s_channelMeans.Value);
        var parameters = probe.parameters().Sum(p => p.numel());
        var source = pretrained
            ? $"Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 ResNet18.onnx sha256:{ModelPackage.HashFile(ImageNetResNet18Weights.DefaultOnnxPath)}"
            : RandomInitialisation;
        return new ModelArchitecture(ArchitectureName, backboneStages, dropout, parameters, source);
    }

    /// <summary>
    /// Creates the network <paramref name="architecture"/> describes. With <paramref name="loadPretrainedBackbone"/> the
    /// ImageNet weights are loaded when the architecture asks for them; otherwise weights are random (to be overwritten
    /// by a saved model).
    /// </summary>
    public static PneumoniaNetwork Create(ModelArchitecture architecture, bool loadPretrainedBackbone)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        if (architecture.Name != ArchitectureName)
            throw new NotSupportedException($"unknown architecture '{architecture.Name}'; this build knows '{ArchitectureName}'");
        var network = new PneumoniaNetwork(architecture.BackboneStages, architecture.Dropout, s_channelMeans.Value);
        if (loadPretrainedBackbone && architecture.Pretrained != RandomInitialisation)
            ImageNetResNet18Weights.LoadInto(network.Backbone, ImageNetResNet18Weights.DefaultOnnxPath);
        return network;
    }
}
