using System.Globalization;
using System.Reflection;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pneumonia.Ml.Architectures;

/// <summary>
/// Loads the ImageNet weights of the ML.NET ResNet-18 featurizer (Microsoft.ML.DnnImageFeaturizer.ResNet18, a CNTK
/// export) into a <see cref="ResNetBackbone"/>. Layers are matched by following the graph's data flow from its input,
/// not by the export's generated names, and every attribute the module hard-codes (kernel, stride, padding) is
/// checked against the node, so a different export fails loudly instead of loading weights into the wrong place.
/// </summary>
public static class ImageNetResNet18Weights
{
    /// <summary>Where the package's build props copy the model: next to the built assemblies.</summary>
    public static string DefaultOnnxPath { get; } =
        Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>
    /// The NuGet package the model comes from, with its version, e.g. "Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1":
    /// stamped into this assembly at build time from the package reference (Pneumonia.Ml.csproj), so a card names the
    /// package that was really copied, not a version written here by hand.
    /// </summary>
    public static string Package =>
        typeof(ImageNetResNet18Weights).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == "ImageNetWeightsPackage")?.Value
        ?? throw new InvalidOperationException("Pneumonia.Ml was built without its ImageNetWeightsPackage metadata (see Pneumonia.Ml.csproj)");

    /// <summary>Copies the stem's and the kept stages' weights and batch-norm statistics into <paramref name="backbone"/>.</summary>
    /// <exception cref="InvalidDataException">The graph does not have the expected ResNet structure or shapes.</exception>
    public static void LoadInto(ResNetBackbone backbone, string onnxPath)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var flow = new DataFlow(OnnxModelReader.ReadGraph(onnxPath));
        using var noGrad = no_grad();

        var conv = flow.SingleConsumer(flow.Input, "Conv");
        var batchNorm = flow.SingleConsumer(conv.Outputs[0], "BatchNormalization");
        var relu = flow.SingleConsumer(batchNorm.Outputs[0], "Relu");
        var pool = flow.SingleConsumer(relu.Outputs[0], "MaxPool");
        CopyConv(conv, backbone.Stem.Conv, flow.Graph);
        CopyBatchNorm(batchNorm, backbone.Stem.Bn, flow.Graph);
        CheckWindow(pool, ResNetStem.PoolKernel, ResNetStem.PoolStride, ResNetStem.PoolPads);

        var x = pool.Outputs[0];
        foreach (var block in backbone.Blocks)
            x = LoadBlock(flow, x, block);
    }

    // A block's input feeds its main path (conv-BN-ReLU-conv-BN) and, when shapes change, a projection (conv-BN);
    // both end in the same Add, whose ReLU output is the next block's input.
    private static string LoadBlock(DataFlow flow, string input, ResNetBasicBlock block)
    {
        var branches = flow.Consumers(input).Where(n => n.OpType == "Conv").Select(flow.TraceBranch).ToList();
        var main = branches.Where(b => b.Layers.Count == 2).ToList();
        var projections = branches.Where(b => b.Layers.Count == 1).ToList();
        if (main.Count != 1 || projections.Count > 1 || main.Count + projections.Count != branches.Count)
            throw Unexpected($"a residual block at '{input}'");

        var add = main[0].Add;
        if (projections.Count == 1 ? projections[0].Add != add : !add.Inputs.Contains(input))
            throw Unexpected($"the shortcut of the residual block at '{input}'");
        if ((projections.Count == 1) != (block.Downsample is not null))
            throw Unexpected($"a {(block.Downsample is null ? "identity" : "projection")} shortcut at '{input}'");

        CopyConv(main[0].Layers[0].Conv, block.Conv1, flow.Graph);
        CopyBatchNorm(main[0].Layers[0].BatchNorm, block.Bn1, flow.Graph);
        CopyConv(main[0].Layers[1].Conv, block.Conv2, flow.Graph);
        CopyBatchNorm(main[0].Layers[1].BatchNorm, block.Bn2, flow.Graph);
        if (block.Downsample is not null)
        {
            CopyConv(projections[0].Layers[0].Conv, block.Downsample.Conv, flow.Graph);
            CopyBatchNorm(projections[0].Layers[0].BatchNorm, block.Downsample.Bn, flow.Graph);
        }
        return flow.SingleConsumer(add.Outputs[0], "Relu").Outputs[0];
    }

    private static void CopyConv(OnnxNode node, PaddedConv2d target, OnnxGraph graph)
    {
        if (node.Inputs.Count != 2)
            throw Unexpected($"Conv '{node.Name}' with a bias");
        if (Ints(node, "group", [1])[0] != 1 || Ints(node, "dilations", [1, 1]).Any(d => d != 1))
            throw Unexpected($"grouped or dilated Conv '{node.Name}'");
        CheckWindow(node, target.Weight.shape[2], target.Stride, target.Pads);
        CopyInto(target.Weight, Initializer(graph, node.Inputs[1]));
    }

    private static void CopyBatchNorm(OnnxNode node, BatchNorm2d target, OnnxGraph graph)
    {
        if (node.Inputs.Count != 5 || Ints(node, "spatial", [1])[0] != 1)
            throw Unexpected($"BatchNormalization '{node.Name}'");
        CopyInto(target.weight!, Initializer(graph, node.Inputs[1]));
        CopyInto(target.bias!, Initializer(graph, node.Inputs[2]));
        CopyInto(target.running_mean!, Initializer(graph, node.Inputs[3]));
        CopyInto(target.running_var!, Initializer(graph, node.Inputs[4]));
        target.eps = node.Attributes.TryGetValue("epsilon", out var epsilon) ? epsilon.FloatValue : 1e-5;
    }

    // Kernel, stride and padding are fixed by the module; the node must agree with them exactly.
    private static void CheckWindow(OnnxNode node, long kernel, long stride, IReadOnlyList<long> pads)
    {
        var autoPad = node.Attributes.TryGetValue("auto_pad", out var a) ? a.StringValue : "NOTSET";
        var matches = autoPad is "NOTSET" or ""
            && Ints(node, "kernel_shape", []).SequenceEqual([kernel, kernel])
            && Ints(node, "strides", [1, 1]).SequenceEqual([stride, stride])
            && Ints(node, "pads", [0, 0, 0, 0]).SequenceEqual(pads)
            && Ints(node, "ceil_mode", [0])[0] == 0;
        if (!matches)
            throw Unexpected($"{node.OpType} '{node.Name}' kernel/stride/padding (module expects kernel {kernel}, stride {stride}, pads [{string.Join(",", pads)}])");
    }

    private static IReadOnlyList<long> Ints(OnnxNode node, string name, long[] fallback) =>
        node.Attributes.TryGetValue(name, out var attribute) ? attribute.Ints.Count > 0 ? attribute.Ints : [attribute.IntValue] : fallback;

    private static OnnxTensor Initializer(OnnxGraph graph, string name) =>
        graph.Initializers.TryGetValue(name, out var tensor) && tensor.DataType == OnnxTensor.FloatType
            ? tensor
            : throw Unexpected($"float initialiser '{name}'");

    private static void CopyInto(Tensor target, OnnxTensor source)
    {
        // ONNX 1-D BN inputs and conv weights have exactly the module's shapes; anything else is a different network.
        if (!target.shape.SequenceEqual(source.Dims))
            throw Unexpected($"'{source.Name}' of shape [{string.Join(",", source.Dims)}] for a parameter of shape [{string.Join(",", target.shape)}]");
        using var values = tensor(source.Data, [.. source.Dims]);
        target.copy_(values);
    }

    private static InvalidDataException Unexpected(string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"The ONNX graph is not the expected ResNet-18: unexpected {what}."));

    private sealed record Branch(IReadOnlyList<(OnnxNode Conv, OnnxNode BatchNorm)> Layers, OnnxNode Add);

    /// <summary>Who consumes which value: enough to follow the graph forward from its input.</summary>
    private sealed class DataFlow
    {
        private readonly ILookup<string, OnnxNode> _consumers;

        public DataFlow(OnnxGraph graph)
        {
            Graph = graph;
            _consumers = graph.Nodes.SelectMany(n => n.Inputs.Distinct().Select(i => (Value: i, Node: n)))
                .ToLookup(p => p.Value, p => p.Node, StringComparer.Ordinal);
            var inputs = graph.Inputs.Where(i => !graph.Initializers.ContainsKey(i)).ToList();
            Input = inputs.Count == 1 ? inputs[0] : throw Unexpected($"graph inputs [{string.Join(",", inputs)}]");
        }

        public OnnxGraph Graph { get; }

        /// <summary>The one graph input that is not an initialiser (IR 3 lists initialisers as inputs too).</summary>
        public string Input { get; }

        public IEnumerable<OnnxNode> Consumers(string value) => _consumers[value];

        public OnnxNode SingleConsumer(string value, string opType)
        {
            var consumers = _consumers[value].ToList();
            return consumers.Count == 1 && consumers[0].OpType == opType
                ? consumers[0]
                : throw Unexpected($"consumers of '{value}' ([{string.Join(",", consumers.Select(c => c.OpType))}], expected one {opType})");
        }

        /// <summary>Follows Conv -> BN (-> Relu -> Conv -> BN)* from <paramref name="conv"/> to the Add that ends the branch.</summary>
        public Branch TraceBranch(OnnxNode conv)
        {
            var layers = new List<(OnnxNode, OnnxNode)>();
            while (true)
            {
                var batchNorm = SingleConsumer(conv.Outputs[0], "BatchNormalization");
                layers.Add((conv, batchNorm));
                var next = _consumers[batchNorm.Outputs[0]].ToList();
                if (next.Count == 1 && next[0].OpType == "Add")
                    return new Branch(layers, next[0]);
                conv = SingleConsumer(SingleConsumer(batchNorm.Outputs[0], "Relu").Outputs[0], "Conv");
            }
        }
    }
}
