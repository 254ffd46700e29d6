using Google.Protobuf;

namespace Pneumonia.Ml.Architectures;

/// <summary>
/// Writes a small ONNX ModelProto at the protobuf wire level, the counterpart of <see cref="OnnxModelReader"/>: nodes
/// with int, float and int-list attributes, initialisers of float, uint8, int8 and int32 tensors, one float input and
/// float outputs. Enough for the graphs <see cref="FeatureGraphBuilder"/> makes;
/// no generated onnx.proto classes needed.
/// </summary>
public sealed class OnnxModelWriter
{
    /// <summary>ONNX IR version 7 goes with opset 13, the opset the graphs use (per-axis QuantizeLinear/DequantizeLinear).</summary>
    public const long IrVersion = 7, Opset = 13;

    // Field numbers of onnx.proto.
    private const int ModelIrVersion = 1, ModelProducerName = 2, ModelGraph = 7, ModelOpsetImport = 8;
    private const int OpsetVersion = 2;
    private const int GraphNode = 1, GraphName = 2, GraphInitializer = 5, GraphInput = 11, GraphOutput = 12;
    private const int NodeInput = 1, NodeOutput = 2, NodeName = 3, NodeOpType = 4, NodeAttribute = 5;
    private const int AttrName = 1, AttrF = 2, AttrI = 3, AttrInts = 8, AttrType = 20;
    private const int AttrTypeFloat = 1, AttrTypeInt = 2, AttrTypeInts = 7;
    private const int TensorDims = 1, TensorDataType = 2, TensorName = 8, TensorRawData = 9;
    private const int ValueInfoName = 1, ValueInfoType = 2, TypeTensor = 1, TensorTypeElem = 1, TensorTypeShape = 2;
    private const int ShapeDim = 1, DimValue = 1, DimParam = 2;

    // TensorProto.DataType values.
    private const int FloatType = 1, Uint8Type = 2, Int8Type = 3, Int32Type = 6;

    private readonly List<byte[]> _nodes = [];
    private readonly List<byte[]> _initializers = [];
    private readonly List<byte[]> _inputs = [];
    private readonly List<byte[]> _outputs = [];
    private readonly HashSet<string> _outputNames = new(StringComparer.Ordinal);

    /// <summary>A node; <paramref name="attributes"/> values are long, float or long[].</summary>
    public void AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, string name, params (string Name, object Value)[] attributes)
    {
        _nodes.Add(Message(output =>
        {
            foreach (var input in inputs) WriteString(output, NodeInput, input);
            foreach (var result in outputs) WriteString(output, NodeOutput, result);
            WriteString(output, NodeName, name);
            WriteString(output, NodeOpType, opType);
            foreach (var (attributeName, value) in attributes)
                WriteMessage(output, NodeAttribute, Attribute(attributeName, value));
        }));
    }

    /// <summary>An initialiser of float, int32, int8 or uint8 values.</summary>
    public void AddInitializer<T>(string name, IReadOnlyList<long> dims, T[] values) where T : unmanaged
    {
        // By the static type: the CLR lets a byte[] pass as an sbyte[] (and back) in a type test.
        var dataType = typeof(T) switch
        {
            var t when t == typeof(float) => FloatType,
            var t when t == typeof(int) => Int32Type,
            var t when t == typeof(sbyte) => Int8Type,
            var t when t == typeof(byte) => Uint8Type,
            _ => throw new ArgumentException($"initialiser {name}: {typeof(T).Name} is not float, int, sbyte or byte", nameof(values)),
        };
        AddInitializer(name, dims, dataType, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
    }

    /// <summary>A float graph input; each of <paramref name="dims"/> is a size (long) or a symbolic name (string).</summary>
    public void AddInput(string name, params object[] dims) => _inputs.Add(ValueInfo(name, dims));

    /// <summary>A float graph output, its shape left to shape inference.</summary>
    public void AddOutput(string name)
    {
        if (_outputNames.Add(name)) _outputs.Add(ValueInfo(name, null));
    }

    /// <summary>The serialised ModelProto.</summary>
    public byte[] ToBytes(string graphName)
    {
        var graph = Message(output =>
        {
            foreach (var node in _nodes) WriteBytes(output, GraphNode, node);
            WriteString(output, GraphName, graphName);
            foreach (var initializer in _initializers) WriteBytes(output, GraphInitializer, initializer);
            foreach (var input in _inputs) WriteBytes(output, GraphInput, input);
            foreach (var result in _outputs) WriteBytes(output, GraphOutput, result);
        });
        return Message(output =>
        {
            output.WriteTag(ModelIrVersion, WireFormat.WireType.Varint);
            output.WriteInt64(IrVersion);
            WriteString(output, ModelProducerName, "PneumoniaOrleans");
            WriteBytes(output, ModelGraph, graph);
            WriteMessage(output, ModelOpsetImport, o =>
            {
                o.WriteTag(OpsetVersion, WireFormat.WireType.Varint);
                o.WriteInt64(Opset);
            });
        });
    }

    private void AddInitializer(string name, IReadOnlyList<long> dims, int dataType, byte[] raw)
    {
        _initializers.Add(Message(output =>
        {
            foreach (var dim in dims)
            {
                output.WriteTag(TensorDims, WireFormat.WireType.Varint);
                output.WriteInt64(dim);
            }
            output.WriteTag(TensorDataType, WireFormat.WireType.Varint);
            output.WriteInt32(dataType);
            WriteString(output, TensorName, name);
            output.WriteTag(TensorRawData, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(raw));
        }));
    }

    private static byte[] ValueInfo(string name, object[]? dims) => Message(output =>
    {
        WriteString(output, ValueInfoName, name);
        WriteMessage(output, ValueInfoType, type => WriteMessage(type, TypeTensor, tensor =>
        {
            tensor.WriteTag(TensorTypeElem, WireFormat.WireType.Varint);
            tensor.WriteInt32(FloatType);
            if (dims is null) return;
            WriteMessage(tensor, TensorTypeShape, shape =>
            {
                foreach (var size in dims)
                    WriteMessage(shape, ShapeDim, dim =>
                    {
                        switch (size)
                        {
                            case long value:
                                dim.WriteTag(DimValue, WireFormat.WireType.Varint);
                                dim.WriteInt64(value);
                                break;
                            case string symbol:
                                WriteString(dim, DimParam, symbol);
                                break;
                            default:
                                throw new ArgumentException($"input {name}: a dimension is a long or a string, not {size.GetType().Name}", nameof(dims));
                        }
                    });
            });
        }));
    });

    private static Action<CodedOutputStream> Attribute(string name, object value) => output =>
    {
        WriteString(output, AttrName, name);
        switch (value)
        {
            case long i:
                output.WriteTag(AttrI, WireFormat.WireType.Varint);
                output.WriteInt64(i);
                output.WriteTag(AttrType, WireFormat.WireType.Varint);
                output.WriteInt32(AttrTypeInt);
                break;
            case float f:
                output.WriteTag(AttrF, WireFormat.WireType.Fixed32);
                output.WriteFloat(f);
                output.WriteTag(AttrType, WireFormat.WireType.Varint);
                output.WriteInt32(AttrTypeFloat);
                break;
            case IReadOnlyList<long> ints:
                foreach (var i in ints)
                {
                    output.WriteTag(AttrInts, WireFormat.WireType.Varint);
                    output.WriteInt64(i);
                }
                output.WriteTag(AttrType, WireFormat.WireType.Varint);
                output.WriteInt32(AttrTypeInts);
                break;
            default:
                throw new ArgumentException($"attribute {name}: {value.GetType().Name} is not long, float or long[]", nameof(value));
        }
    };

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var memory = new MemoryStream();
        using (var output = new CodedOutputStream(memory, leaveOpen: true))
            write(output);
        return memory.ToArray();
    }

    private static void WriteMessage(CodedOutputStream output, int field, Action<CodedOutputStream> write) => WriteBytes(output, field, Message(write));

    private static void WriteBytes(CodedOutputStream output, int field, byte[] bytes)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(bytes));
    }

    private static void WriteString(CodedOutputStream output, int field, string value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }
}
