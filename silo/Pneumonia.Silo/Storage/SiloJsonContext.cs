using System.Text.Json;
using System.Text.Json.Serialization;
using Pneumonia.Silo.Reminders;

namespace Pneumonia.Silo.Storage;

/// <summary>
/// Source-generated JSON for the files the silo writes. Missing or null members fail the read instead of turning
/// into defaults: a damaged file must stop the silo, not silently lose state or reminders.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    WriteIndented = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(StoredGrainState))]
[JsonSerializable(typeof(List<StoredReminder>))]
internal sealed partial class SiloJsonContext : JsonSerializerContext;
