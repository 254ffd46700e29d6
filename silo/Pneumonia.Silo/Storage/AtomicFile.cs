namespace Pneumonia.Silo.Storage;

/// <summary>Replaces a file so that readers see either the old or the new content, never a torn write.</summary>
internal static class AtomicFile
{
    /// <summary>Suffix of the temporary files; readers never open them, so a leftover one after a crash is harmless.</summary>
    private const string TempSuffix = ".tmp";

    public static async Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);

        // Same directory as the target: a rename is only atomic within one file system.
        var temp = Path.Combine(directory, $"{Path.GetFileName(path)}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 4096, FileOptions.Asynchronous);
            await using (stream)
            {
                await stream.WriteAsync(content, cancellationToken);

                // fsync before the rename, or a crash could leave the new name pointing at unwritten blocks.
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Reads a whole file, or returns null when it does not exist.</summary>
    public static async Task<byte[]?> TryReadAllBytesAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }
}
