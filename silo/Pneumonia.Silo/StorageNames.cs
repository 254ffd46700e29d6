namespace Pneumonia.Silo;

/// <summary>Names of the grain storage providers the silo registers; use them in <c>[PersistentState]</c>.</summary>
public static class StorageNames
{
    /// <summary>The storage every Pneumonia grain keeps its state in.</summary>
    public const string Default = "pneumonia";
}
