namespace Pneumonia.Ml.Architectures;

/// <summary>
/// The input convention of the ImageNet ResNet-18 featurizer, read from its ResNetPreprocess.onnx: the R,G,B input
/// (0..255) is reordered to B,G,R and a per-pixel mean image is subtracted; there is no scaling.
/// </summary>
public sealed class ImageNetPreprocessing
{
    private readonly float[] _meanImage;
    private readonly float[] _channelMeans;

    private ImageNetPreprocessing(float[] meanImage, IReadOnlyList<long> meanImageShape)
    {
        _meanImage = meanImage;
        MeanImageShape = meanImageShape;
        var plane = meanImage.Length / 3;
        _channelMeans = [.. Enumerable.Range(0, 3).Select(c => (float)meanImage.Skip(c * plane).Take(plane).Average(v => (double)v))];
    }

    /// <summary>Where the package's build props copy the preprocessing model: next to the built assemblies.</summary>
    public static string DefaultOnnxPath { get; } =
        Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");

    /// <summary>Shape of the mean image: [1, 3, 224, 224].</summary>
    public IReadOnlyList<long> MeanImageShape { get; }

    /// <summary>The mean image, row-major over <see cref="MeanImageShape"/>, channels in B,G,R order.</summary>
    public ReadOnlySpan<float> MeanImage => _meanImage;

    /// <summary>The spatial average of each mean-image channel, in B,G,R order.</summary>
    public float[] ChannelMeans() => (float[])_channelMeans.Clone();

    /// <summary>Reads the mean image from ResNetPreprocess.onnx, checking from the graph that channels are reversed to B,G,R.</summary>
    /// <exception cref="InvalidDataException">The graph is not Split(RGB) -> Concat(B,G,R) -> Sub(mean image).</exception>
    public static ImageNetPreprocessing Load(string onnxPath)
    {
        var graph = OnnxModelReader.ReadGraph(onnxPath);
        var split = graph.Nodes.SingleOrDefault(n => n.OpType == "Split" && n.Outputs.Count == 3);
        var concat = graph.Nodes.SingleOrDefault(n => n.OpType == "Concat");
        var subtract = graph.Nodes.SingleOrDefault(n => n.OpType == "Sub");
        if (split is null || concat is null || subtract is null || subtract.Inputs.Count != 2
            || subtract.Inputs[0] != concat.Outputs[0]
            || !concat.Inputs.SequenceEqual(split.Outputs.Reverse())
            || !graph.Initializers.TryGetValue(subtract.Inputs[1], out var mean)
            || mean.DataType != OnnxTensor.FloatType
            || mean.Dims.Count != 4 || mean.Dims[0] != 1 || mean.Dims[1] != 3)
        {
            throw new InvalidDataException($"'{onnxPath}' is not the expected RGB -> BGR minus mean-image preprocessing graph.");
        }
        return new ImageNetPreprocessing(mean.Data, mean.Dims);
    }
}
