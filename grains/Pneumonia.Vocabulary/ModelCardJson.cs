using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pneumonia;

/// <summary>The one JSON shape of model cards everywhere: model.json files, grain state, the REST API, notebooks.</summary>
public static class ModelCardJson
{
    /// <summary>camelCase names, enums as strings, indented.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Serialize(ModelCard card)
    {
        ArgumentNullException.ThrowIfNull(card);
        return JsonSerializer.Serialize(card, Options);
    }

    /// <exception cref="JsonException">The text is not a model card.</exception>
    public static ModelCard Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return JsonSerializer.Deserialize<ModelCard>(json, Options) ?? throw new JsonException("The text is null, not a model card.");
    }
}
