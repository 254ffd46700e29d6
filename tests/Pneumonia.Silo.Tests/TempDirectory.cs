namespace Pneumonia.Silo.Tests;

/// <summary>A fresh directory per test, deleted afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("pneumonia-silo-tests-").FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
