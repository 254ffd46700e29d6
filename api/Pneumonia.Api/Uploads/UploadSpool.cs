using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Pneumonia.Api.Hosting;
using Pneumonia.Grains.Hosting;
using Pneumonia.Ml.Data;

namespace Pneumonia.Api.Uploads;

/// <summary>
/// Where uploads wait while they are checked: <c>&lt;data directory&gt;/spool</c>, one file per request (deleted when
/// the request ends), all of them together at most <see cref="PneumoniaApiOptions.MaxSpoolBytes"/>. A request that
/// would go over the quota is refused with 503 as its bytes arrive, so strangers with slow uploads cannot fill the disk.
/// </summary>
public sealed class UploadSpool
{
    private static readonly TimeSpan StaleAfter = TimeSpan.FromDays(1);

    private readonly long _quota;
    private long _reserved;

    public UploadSpool(IOptions<PneumoniaApiOptions> options, IOptions<PneumoniaDataOptions> data, TimeProvider time)
    {
        _quota = options.Value.MaxSpoolBytes;
        // Uploads land in this data directory: the marker keeps catalogue-based tools (check-store) from repairing it.
        ServerDataDirectory.Claim(data.Value.DataDirectory);
        Directory = Path.Combine(data.Value.DataDirectory, "spool");
        System.IO.Directory.CreateDirectory(Directory);
        // Spool files of a process that was killed outlive it; other processes may share the directory, so only old ones go.
        foreach (var stale in new DirectoryInfo(Directory).EnumerateFiles("*.tmp")
            .Where(f => time.GetUtcNow() - f.LastWriteTimeUtc > StaleAfter))
        {
            stale.Delete();
        }
    }

    /// <summary>The spool directory.</summary>
    public string Directory { get; }

    /// <summary>Bytes currently spooled by every request together.</summary>
    public long Reserved => Interlocked.Read(ref _reserved);

    internal SpoolFile Create() => new(this, Path.Combine(Directory, $"upload-{Guid.NewGuid():N}.tmp"));

    internal void Reserve(long bytes)
    {
        if (Interlocked.Add(ref _reserved, bytes) > _quota)
        {
            Interlocked.Add(ref _reserved, -bytes);
            throw new RequestRefusedException(StatusCodes.Status503ServiceUnavailable, "Upload space full",
                $"The uploads in progress already fill the server's upload spool (Pneumonia:Api:MaxSpoolBytes, {_quota:N0} bytes); "
                + "nothing of this request was kept. Try again in a minute, or send smaller requests.",
                new Dictionary<string, object?> { ["limit_bytes"] = _quota });
        }
    }

    internal void Release(long bytes) => Interlocked.Add(ref _reserved, -bytes);
}

/// <summary>One request's spooled files, back to back in one file that is deleted when the request ends.</summary>
internal sealed class SpoolFile(UploadSpool spool, string path) : IAsyncDisposable
{
    private const int BufferBytes = 81_920;

    private readonly FileStream _stream = new(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, BufferBytes,
        FileOptions.DeleteOnClose | FileOptions.Asynchronous);

    private long _reserved;

    public async Task<IFormFile> AddAsync(MultipartSection section, string name, string fileName, CancellationToken cancellationToken)
    {
        var start = _stream.Length;
        _stream.Position = start;
        var buffer = new byte[BufferBytes];
        int read;
        while ((read = await MultipartFormMiddleware.ReadSectionAsync(section, buffer, cancellationToken)) > 0)
        {
            spool.Reserve(read);
            _reserved += read;
            await _stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }

        await _stream.FlushAsync(cancellationToken);
        return new FormFile(_stream, start, _stream.Length - start, name, fileName) { Headers = MultipartFormMiddleware.Headers(section) };
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        spool.Release(_reserved);
        _reserved = 0;
    }
}
