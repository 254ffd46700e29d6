using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pneumonia.Ml.Data;

// Source-generated so that loading and saving 100k entries needs no reflection; camelCase, enums as strings.
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, WriteIndented = false)]
[JsonSerializable(typeof(ImageRecord))]
internal sealed partial class CatalogueJsonContext : JsonSerializerContext;
