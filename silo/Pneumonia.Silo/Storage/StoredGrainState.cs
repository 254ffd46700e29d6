namespace Pneumonia.Silo.Storage;

/// <summary>The content of one grain state file.</summary>
/// <param name="ETag">Hash of <paramref name="State"/>; the value a writer must present to replace it.</param>
/// <param name="GrainId">The grain, in clear, since the file name only holds an encoding of its key.</param>
/// <param name="StateName">The state name given in <c>[PersistentState]</c>.</param>
/// <param name="State">The state as produced by the configured <c>IGrainStorageSerializer</c> (base64 in JSON).</param>
internal sealed record StoredGrainState(string ETag, string GrainId, string StateName, byte[] State);
