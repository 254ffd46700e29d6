using System.Buffers;
using Orleans.Serialization.Buffers;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Codecs;
using Orleans.Serialization.Configuration;
using Orleans.Serialization.WireProtocol;
using Pneumonia.Abstractions;

[assembly: TypeManifestProvider(typeof(VocabularyTypeAliases))]

namespace Pneumonia.Abstractions;

// The shared records and enums (Pneumonia.Vocabulary) carry no Orleans attributes, so that the ML core can use them
// without Orleans. This file makes them serializable exactly as they were when they were declared here: the surrogate
// keeps their field ids, and the aliases keep the type names that stored state holds (a List<ImageRecord> in a
// journalled batch is written as List`1[[pneumonia.ImageRecord]]). StoredStateTests read state written before.

/// <summary>The wire and storage shape of <see cref="ImageRecord"/>: field ids never renumbered.</summary>
[GenerateSerializer, Immutable, Alias("pneumonia.ImageRecordSurrogate")]
public readonly record struct ImageRecordSurrogate(
    [property: Id(0)] string Sha256,
    [property: Id(1)] ImageLabel? Label,
    [property: Id(2)] ImageSplit Split,
    [property: Id(3)] string Source,
    [property: Id(4)] string OriginalName,
    [property: Id(5)] long SizeBytes,
    [property: Id(6)] int Width,
    [property: Id(7)] int Height,
    [property: Id(8)] string PatientId,
    [property: Id(9)] DateTimeOffset AddedAt);

/// <summary>Serializes <see cref="ImageRecord"/> through <see cref="ImageRecordSurrogate"/>.</summary>
[RegisterConverter]
public sealed class ImageRecordConverter : IConverter<ImageRecord, ImageRecordSurrogate>
{
    public ImageRecord ConvertFromSurrogate(in ImageRecordSurrogate surrogate) => new(
        surrogate.Sha256, surrogate.Label, surrogate.Split, surrogate.Source, surrogate.OriginalName,
        surrogate.SizeBytes, surrogate.Width, surrogate.Height, surrogate.PatientId, surrogate.AddedAt);

    public ImageRecordSurrogate ConvertToSurrogate(in ImageRecord value) => new(
        value.Sha256, value.Label, value.Split, value.Source, value.OriginalName,
        value.SizeBytes, value.Width, value.Height, value.PatientId, value.AddedAt);
}

/// <summary>An <see cref="ImageRecord"/> is immutable: grain calls pass it on instead of copying it.</summary>
[RegisterCopier]
public sealed class ImageRecordCopier : IDeepCopier<ImageRecord>
{
    public ImageRecord? DeepCopy(ImageRecord? input, CopyContext context) => input;
}

/// <summary>
/// Serializes a <see cref="ModelCard"/> as its JSON (<see cref="ModelCardJson"/>) in a string field: the card is the
/// contract of model.json files and the REST API, and the registry's state held it as a JSON string before it was
/// typed (<see cref="ModelVersionInfo.Card"/>), so a card stored then reads as one now.
/// </summary>
[RegisterSerializer]
public sealed class ModelCardCodec : IFieldCodec<ModelCard>
{
    public void WriteField<TBufferWriter>(ref Writer<TBufferWriter> writer, uint fieldIdDelta, Type? expectedType, ModelCard? value)
        where TBufferWriter : IBufferWriter<byte> =>
        StringCodec.WriteField(ref writer, fieldIdDelta, value is null ? null! : ModelCardJson.Serialize(value));

    public ModelCard ReadValue<TInput>(ref Reader<TInput> reader, Field field) =>
        StringCodec.ReadValue(ref reader, field) is { } json ? ModelCardJson.Deserialize(json) : null!;
}

/// <summary>A <see cref="ModelCard"/> is read-only once made: grain calls pass it on instead of copying it.</summary>
[RegisterCopier]
public sealed class ModelCardCopier : IDeepCopier<ModelCard>
{
    public ModelCard? DeepCopy(ModelCard? input, CopyContext context) => input;
}

/// <summary>The names the shared types had when the contracts declared them, for the type names in stored state.</summary>
internal sealed class VocabularyTypeAliases : TypeManifestProviderBase
{
    protected override void ConfigureInner(TypeManifestOptions options)
    {
        options.WellKnownTypeAliases["pneumonia.ImageLabel"] = typeof(ImageLabel);
        options.WellKnownTypeAliases["pneumonia.ImageSplit"] = typeof(ImageSplit);
        options.WellKnownTypeAliases["pneumonia.ImageRecord"] = typeof(ImageRecord);
        options.WellKnownTypeAliases["pneumonia.ModelCard"] = typeof(ModelCard);
    }
}
