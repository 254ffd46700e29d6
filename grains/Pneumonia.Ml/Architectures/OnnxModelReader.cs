using System.Buffers.Binary;
using Google.Protobuf;

namespace Pneumonia.Ml.Architectures;

/// <summary>The few parts of an ONNX graph needed to import weights: nodes, initialisers and the graph's inputs and outputs.</summary>
/// <param name="Nodes">Nodes in the file's (topological) order.</param>
/// <param name="Initializers">Initialisers by name.</param>
/// <param name="Inputs">Names of the graph inputs; before IR 4 these include the initialisers.</param>
/// <param name="Outputs">Names of the graph outputs.</param>
public sealed record OnnxGraph(
    IReadOnlyList<OnnxNode> Nodes,
    IReadOnlyDictionary<string, OnnxTensor> Initializers,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs);

/// <summary>One ONNX node.</summary>
public sealed record OnnxNode(
    string Name,
    string OpType,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyDictionary<string, OnnxAttributeValue> Attributes);

/// <summary>The ONNX attribute types this reader keeps a value for (AttributeProto.AttributeType).</summary>
public enum OnnxAttributeType
{
    Undefined = 0,
    FloatValue = 1,
    IntValue = 2,
    StringValue = 3,
    FloatList = 6,
    IntList = 7,
}

/// <summary>One node attribute; only the value matching <see cref="Type"/> is meaningful.</summary>
public sealed record OnnxAttributeValue(
    string Name,
    OnnxAttributeType Type,
    long IntValue,
    float FloatValue,
    string StringValue,
    IReadOnlyList<long> Ints,
    IReadOnlyList<float> Floats);

/// <summary>An initialiser. <see cref="Data"/> holds the values of float tensors and is empty for other element types.</summary>
public sealed record OnnxTensor(string Name, IReadOnlyList<long> Dims, int DataType, float[] Data)
{
    /// <summary>TensorProto.DataType FLOAT.</summary>
    public const int FloatType = 1;
}

/// <summary>
/// Reads an ONNX ModelProto at the protobuf wire level, so no generated onnx.proto classes are needed.
/// Unknown fields are skipped, which keeps it working across IR versions and exporters.
/// </summary>
public static class OnnxModelReader
{
    private const int ModelGraph = 7;
    private const int GraphNode = 1, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    private const int AttrName = 1, AttrF = 2, AttrI = 3, AttrS = 4, AttrFloats = 7, AttrInts = 8, AttrType = 20;
    private const int TensorDims = 1, TensorDataType = 2, TensorFloatData = 4, TensorName = 8, TensorRawData = 9;
    private const int ValueInfoName = 1;

    /// <summary>Reads the graph of the ONNX model file at <paramref name="path"/>.</summary>
    public static OnnxGraph ReadGraph(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadGraph(stream);
    }

    /// <summary>Reads the graph of an ONNX model from <paramref name="stream"/>.</summary>
    public static OnnxGraph ReadGraph(Stream stream)
    {
        using var input = new CodedInputStream(stream, leaveOpen: true);
        OnnxGraph? graph = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == ModelGraph)
                graph = ReadMessage(input, ReadGraphBody);
            else
                input.SkipLastField();
        }
        return graph ?? throw new InvalidDataException("The ONNX model has no graph.");
    }

    // CodedInputStream's PushLimit is internal, so a nested message is read from a stream over its own bytes.
    private static T ReadMessage<T>(CodedInputStream input, Func<CodedInputStream, T> readBody)
    {
        using var nested = input.ReadBytes().CreateCodedInput();
        return readBody(nested);
    }

    private static OnnxGraph ReadGraphBody(CodedInputStream input)
    {
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var inputs = new List<string>();
        var outputs = new List<string>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case GraphNode:
                    nodes.Add(ReadMessage(input, ReadNodeBody));
                    break;
                case GraphInitializer:
                    var tensor = ReadMessage(input, ReadTensorBody);
                    initializers[tensor.Name] = tensor;
                    break;
                case GraphInput:
                    inputs.Add(ReadMessage(input, ReadValueInfoName));
                    break;
                case GraphOutput:
                    outputs.Add(ReadMessage(input, ReadValueInfoName));
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
        return new OnnxGraph(nodes, initializers, inputs, outputs);
    }

    private static string ReadValueInfoName(CodedInputStream input)
    {
        var name = "";
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == ValueInfoName)
                name = input.ReadString();
            else
                input.SkipLastField();
        }
        return name;
    }

    private static OnnxNode ReadNodeBody(CodedInputStream input)
    {
        string name = "", opType = "";
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttributeValue>(StringComparer.Ordinal);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case NodeInput:
                    inputs.Add(input.ReadString());
                    break;
                case NodeOutput:
                    outputs.Add(input.ReadString());
                    break;
                case NodeName:
                    name = input.ReadString();
                    break;
                case NodeOpType:
                    opType = input.ReadString();
                    break;
                case NodeAttribute:
                    var attribute = ReadMessage(input, ReadAttributeBody);
                    attributes[attribute.Name] = attribute;
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
        return new OnnxNode(name, opType, inputs, outputs, attributes);
    }

    private static OnnxAttributeValue ReadAttributeBody(CodedInputStream input)
    {
        string name = "", text = "";
        long integer = 0;
        float real = 0;
        var type = OnnxAttributeType.Undefined;
        var ints = new List<long>();
        var floats = new List<float>();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case AttrName:
                    name = input.ReadString();
                    break;
                case AttrF:
                    real = input.ReadFloat();
                    break;
                case AttrI:
                    integer = input.ReadInt64();
                    break;
                case AttrS:
                    text = input.ReadBytes().ToStringUtf8();
                    break;
                case AttrFloats:
                    ReadRepeated(input, tag, floats, static i => i.ReadFloat());
                    break;
                case AttrInts:
                    ReadRepeated(input, tag, ints, static i => i.ReadInt64());
                    break;
                case AttrType:
                    type = (OnnxAttributeType)input.ReadEnum();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
        return new OnnxAttributeValue(name, type, integer, real, text, ints, floats);
    }

    private static OnnxTensor ReadTensorBody(CodedInputStream input)
    {
        var name = "";
        var dataType = 0;
        var dims = new List<long>();
        var floatData = new List<float>();
        ByteString? rawData = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case TensorDims:
                    ReadRepeated(input, tag, dims, static i => i.ReadInt64());
                    break;
                case TensorDataType:
                    dataType = input.ReadInt32();
                    break;
                case TensorFloatData:
                    ReadRepeated(input, tag, floatData, static i => i.ReadFloat());
                    break;
                case TensorName:
                    name = input.ReadString();
                    break;
                case TensorRawData:
                    rawData = input.ReadBytes();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
        float[] data = dataType != OnnxTensor.FloatType ? []
            : rawData is null ? [.. floatData]
            : DecodeLittleEndianFloats(rawData.Span);
        return new OnnxTensor(name, dims, dataType, data);
    }

    private static float[] DecodeLittleEndianFloats(ReadOnlySpan<byte> bytes)
    {
        var values = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        return values;
    }

    // Repeated scalars may arrive packed (one length-delimited run) or one tag per value; readers must accept both.
    private static void ReadRepeated<T>(CodedInputStream input, uint tag, List<T> values, Func<CodedInputStream, T> readValue)
    {
        if (WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited)
        {
            values.Add(readValue(input));
            return;
        }
        using var packed = input.ReadBytes().CreateCodedInput();
        while (!packed.IsAtEnd)
            values.Add(readValue(packed));
    }
}
