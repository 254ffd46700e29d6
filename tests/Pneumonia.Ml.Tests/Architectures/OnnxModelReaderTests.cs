using Google.Protobuf;
using Pneumonia.Ml.Architectures;

namespace Pneumonia.Ml.Tests.Architectures;

public sealed class OnnxModelReaderTests
{
    [Fact]
    public void Reads_packed_and_unpacked_fields_and_skips_unknown_ones()
    {
        var tensorA = Message(w =>
        {
            Packed(w, 1, [2L, 2L], static (o, v) => o.WriteInt64(v));
            Varint(w, 2, 1);
            Bytes(w, 8, ByteString.CopyFromUtf8("a"));
            Bytes(w, 9, ByteString.CopyFrom([.. new[] { 1f, 2f, 3f, -4f }.SelectMany(BitConverter.GetBytes)]));
        });
        var tensorB = Message(w =>
        {
            Varint(w, 1, 3); // unpacked dims
            Varint(w, 2, 1);
            Packed(w, 4, [0.5f, 1.5f, 2.5f], static (o, v) => o.WriteFloat(v));
            Bytes(w, 8, ByteString.CopyFromUtf8("b"));
            Varint(w, 99, 7); // unknown field
        });
        var attribute = Message(w =>
        {
            Bytes(w, 1, ByteString.CopyFromUtf8("pads"));
            Varint(w, 8, 1); // unpacked ints
            Varint(w, 8, 0);
            Varint(w, 20, 7);
        });
        var node = Message(w =>
        {
            Bytes(w, 1, ByteString.CopyFromUtf8("x"));
            Bytes(w, 1, ByteString.CopyFromUtf8("a"));
            Bytes(w, 2, ByteString.CopyFromUtf8("y"));
            Bytes(w, 3, ByteString.CopyFromUtf8("conv0"));
            Bytes(w, 4, ByteString.CopyFromUtf8("Conv"));
            Bytes(w, 5, attribute);
        });
        var graph = Message(w =>
        {
            Bytes(w, 1, node);
            Bytes(w, 2, ByteString.CopyFromUtf8("g"));
            Bytes(w, 5, tensorA);
            Bytes(w, 5, tensorB);
            Bytes(w, 11, Message(v => Bytes(v, 1, ByteString.CopyFromUtf8("x"))));
            Bytes(w, 12, Message(v => Bytes(v, 1, ByteString.CopyFromUtf8("y"))));
        });
        var model = Message(w =>
        {
            Varint(w, 1, 3); // ir_version
            Bytes(w, 7, graph);
        });

        using var stream = new MemoryStream(model.ToByteArray());
        var read = OnnxModelReader.ReadGraph(stream);

        var conv = Assert.Single(read.Nodes);
        Assert.Equal(("conv0", "Conv"), (conv.Name, conv.OpType));
        Assert.Equal(["x", "a"], conv.Inputs);
        Assert.Equal(["y"], conv.Outputs);
        Assert.Equal(OnnxAttributeType.IntList, conv.Attributes["pads"].Type);
        Assert.Equal([1L, 0L], conv.Attributes["pads"].Ints);
        Assert.Equal([2L, 2L], read.Initializers["a"].Dims);
        Assert.Equal([1f, 2f, 3f, -4f], read.Initializers["a"].Data);
        Assert.Equal([3L], read.Initializers["b"].Dims);
        Assert.Equal([0.5f, 1.5f, 2.5f], read.Initializers["b"].Data);
        Assert.Equal(["x"], read.Inputs);
        Assert.Equal(["y"], read.Outputs);
    }

    private static ByteString Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        using (var output = new CodedOutputStream(buffer, leaveOpen: true))
            write(output);
        return ByteString.CopyFrom(buffer.ToArray());
    }

    private static void Varint(CodedOutputStream output, int field, long value)
    {
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteInt64(value);
    }

    private static void Bytes(CodedOutputStream output, int field, ByteString value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(value);
    }

    private static void Packed<T>(CodedOutputStream output, int field, T[] values, Action<CodedOutputStream, T> write) =>
        Bytes(output, field, Message(o => Array.ForEach(values, v => write(o, v))));
}
