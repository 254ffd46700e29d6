using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Pneumonia.Api.Hosting;

namespace Pneumonia.Api.Uploads;

/// <summary>
/// What a multipart endpoint takes (endpoint metadata): its body limit, its fields and whether its files are
/// spooled to disk. <see cref="MultipartFormMiddleware"/> reads the form by it, so handlers keep binding
/// <see cref="IFormFile"/> parameters (and the OpenAPI document keeps describing them).
/// </summary>
/// <param name="Expected">What to send, for refusals: "one JPEG or PNG in the file field 'file'".</param>
/// <param name="MaxBodyBytes">The whole body's limit, applied while it is read.</param>
/// <param name="Spool">
/// True: files go to a spool file in the data directory, counted against <see cref="PneumoniaApiOptions.MaxSpoolBytes"/>
/// (archives are read in place). False: files are held in memory, each up to <see cref="PneumoniaApiOptions.MaxImageBytes"/>.
/// </param>
public sealed record MultipartFormContract(
    string Expected, Func<PneumoniaApiOptions, long> MaxBodyBytes, bool Spool, IReadOnlyList<FormField> Fields)
{
    /// <summary>Headers, boundaries and file names around the file bytes: allowed on top of an image.</summary>
    public const long OverheadBytes = 64 * 1024;

    /// <summary>Most parts an upload may have (the form limit ASP.NET Core applies by default).</summary>
    public const int MaxUploadParts = 1_024;

    /// <summary><c>POST /predict</c>: exactly one image.</summary>
    public static MultipartFormContract OneImage { get; } = new(
        "one JPEG or PNG image in the multipart file field 'file' (POST /predict/batch takes several in 'files')",
        options => options.MaxImageBytes + OverheadBytes,
        Spool: false,
        [new FormField("file", IsFile: true, _ => 1)]);

    /// <summary><c>POST /predict/batch</c>: up to <see cref="PneumoniaApiOptions.MaxBatchFiles"/> images.</summary>
    public static MultipartFormContract ImageBatch { get; } = new(
        "JPEG or PNG images in the multipart file field 'files'",
        options => Math.Min(options.MaxRequestBytes, options.MaxBatchFiles * (options.MaxImageBytes + OverheadBytes)),
        Spool: false,
        [new FormField("files", IsFile: true, options => options.MaxBatchFiles)]);

    /// <summary><c>POST /upload</c>: images and archives, and an optional label for the loose images.</summary>
    public static MultipartFormContract Upload { get; } = new(
        "images or .zip archives in the multipart file field 'files', and optionally the form field 'label' (NORMAL or PNEUMONIA)",
        options => options.MaxRequestBytes,
        Spool: true,
        [new FormField("files", IsFile: true, _ => MaxUploadParts), new FormField("label", IsFile: false, _ => 1)]);
}

/// <summary>One field a multipart endpoint takes.</summary>
/// <param name="MaxCount">How many parts of this name one request may hold.</param>
public sealed record FormField(string Name, bool IsFile, Func<PneumoniaApiOptions, int> MaxCount);

/// <summary>A refusal of a request before its handler runs: written as ProblemDetails by the middleware that threw it.</summary>
internal sealed class RequestRefusedException(int status, string title, string detail, IReadOnlyDictionary<string, object?>? extensions = null)
    : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;

    public IReadOnlyDictionary<string, object?> Extensions { get; } = extensions ?? new Dictionary<string, object?>();

    public Task WriteAsync(HttpContext context, IProblemDetailsService problems) =>
        Refusals.WriteAsync(context, problems, Status, Title, Message, Extensions);
}

/// <summary>The one ProblemDetails shape of refusals that happen outside a handler (limits, forms, Kestrel's errors).</summary>
internal static class Refusals
{
    public static async Task WriteAsync(
        HttpContext context, IProblemDetailsService problems, int status, string title, string detail, IReadOnlyDictionary<string, object?>? extensions = null)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = status;
        var problem = new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        };
        foreach (var (key, value) in extensions ?? new Dictionary<string, object?>())
        {
            problem.ProblemDetails.Extensions[key] = value;
        }

        // A client that accepts no JSON (Accept: application/xml) still gets the refusal, as handlers' problems do.
        if (!await problems.TryWriteAsync(problem))
        {
            problem.ProblemDetails.Extensions["trace_id"] = context.TraceIdentifier;
            Complete(problem);
            await context.Response.WriteAsJsonAsync(problem.ProblemDetails, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
        }
    }

    /// <summary>
    /// Fills in the detail of refusals that arrive without one: routing's own 415 for a body type an endpoint does not
    /// accept (it replaces the endpoint, so no middleware of ours runs) and bare status codes.
    /// </summary>
    public static void Complete(ProblemDetailsContext problem)
    {
        var (details, context) = (problem.ProblemDetails, problem.HttpContext);
        if (details.Detail is not null)
        {
            return;
        }

        var where = Where(context);
        details.Detail = details.Status switch
        {
            StatusCodes.Status415UnsupportedMediaType =>
                $"{where} does not take a body of type '{DisplayName.Of(context.Request.ContentType ?? "none")}'; send "
                + (ContractOf(context)?.Expected is { } expected ? $"a multipart/form-data body with {expected}" : "the media type its documentation (/docs) names")
                + ".",
            StatusCodes.Status404NotFound => $"No endpoint answers {where}; /docs lists them.",
            StatusCodes.Status405MethodNotAllowed => $"{DisplayName.Of(context.Request.Path)} does not take {context.Request.Method}; /docs lists its methods.",
            _ => $"{where} was refused ({details.Title ?? details.Status?.ToString(CultureInfo.InvariantCulture)}).",
        };
    }

    /// <summary>"POST /predict": the method and the path, safe to show.</summary>
    public static string Where(HttpContext context) => $"{context.Request.Method} {DisplayName.Of(context.Request.Path)}";

    // Routing's 415 endpoint stands in for the real one: find the multipart endpoint registered at this literal path.
    private static MultipartFormContract? ContractOf(HttpContext context) =>
        context.RequestServices.GetService<EndpointDataSource>()?.Endpoints.OfType<RouteEndpoint>()
            .Where(e => string.Equals("/" + e.RoutePattern.RawText?.Trim('/'), context.Request.Path.Value?.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
            .Select(e => e.Metadata.GetMetadata<MultipartFormContract>())
            .FirstOrDefault(c => c is not null);

    /// <summary>413 naming the endpoint's limit and what to send.</summary>
    public static RequestRefusedException TooLarge(HttpContext context, long limit, string expected, long? declared = null) =>
        new(StatusCodes.Status413PayloadTooLarge, "Request too large",
            (declared is { } length ? $"The request body is {length:N0} bytes, over" : "The request body is over")
            + $" the limit of {limit:N0} bytes for {Where(context)}; send {expected}.",
            new Dictionary<string, object?> { ["limit_bytes"] = limit });
}

/// <summary>
/// Reads the multipart body of endpoints with a <see cref="MultipartFormContract"/> after authorization and before
/// binding: the body limit is enforced while reading (a body over it is cut off there, never read in full), each
/// part must be a field the endpoint takes, as often as it takes it, and files are held in memory or spooled inside
/// the data directory with a quota — never in the system temp directory, where ASP.NET Core's own form reader
/// spools. Anything else is refused with ProblemDetails naming the field, the limit and what to send instead.
/// </summary>
internal sealed class MultipartFormMiddleware(
    RequestDelegate next, IOptions<PneumoniaApiOptions> options, UploadSpool spool, IProblemDetailsService problems)
{
    private const int MaxValueChars = 1_024;
    private const int BufferBytes = 81_920;

    public async Task InvokeAsync(HttpContext context)
    {
        var contract = context.GetEndpoint()?.Metadata.GetMetadata<MultipartFormContract>();
        if (contract is null)
        {
            await next(context);
            return;
        }

        SpoolFile? spooled = null;
        try
        {
            spooled = contract.Spool ? spool.Create() : null;
            context.Features.Set<IFormFeature>(new ReadFormFeature(await ReadAsync(context, contract, spooled)));
        }
        catch (RequestRefusedException refused)
        {
            if (spooled is not null)
            {
                await spooled.DisposeAsync();
            }

            await refused.WriteAsync(context, problems);
            return;
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-body: there is nobody to answer.
            if (spooled is not null)
            {
                await spooled.DisposeAsync();
            }

            return;
        }
        catch
        {
            if (spooled is not null)
            {
                await spooled.DisposeAsync();
            }

            throw;
        }

        if (spooled is not null)
        {
            context.Response.RegisterForDisposeAsync(spooled);
        }

        await next(context);
    }

    private async Task<IFormCollection> ReadAsync(HttpContext context, MultipartFormContract contract, SpoolFile? spooled)
    {
        var request = context.Request;
        var settings = options.Value;
        var where = Refusals.Where(context);
        foreach (var field in contract.Fields.Where(f => request.Query.ContainsKey(f.Name)))
        {
            throw Bad($"'{field.Name}' is a field of the multipart form, not a query parameter; {where} ignores it in the query string. Send {contract.Expected}.", field.Name);
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !string.Equals(mediaType.MediaType.Value, "multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new RequestRefusedException(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"{where} takes a multipart/form-data body with {contract.Expected}; this request's Content-Type is '{DisplayName.Of(request.ContentType ?? "none")}'.");
        }

        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrWhiteSpace(boundary) || boundary.Length > 70)
        {
            throw Bad("The Content-Type header's multipart boundary is missing, empty or longer than 70 characters (RFC 2046); "
                + "let the HTTP client build the multipart body (curl -F, HttpClient's MultipartFormDataContent).");
        }

        var limit = contract.MaxBodyBytes(settings);
        var body = new LimitedReadStream(request.Body, limit, () => Refusals.TooLarge(context, limit, contract.Expected));
        var reader = new MultipartReader(boundary, body);
        var files = new FormFileCollection();
        var values = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var part = 1; ; part++)
        {
            var section = await NextSectionAsync(reader, context.RequestAborted);
            if (section is null)
            {
                break;
            }

            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
            {
                throw Bad($"Part {part} of the form has no valid 'Content-Disposition: form-data' header. A file name with a quote, "
                    + "a backslash or a line break must be encoded (filename*=UTF-8''...); let the HTTP client build the multipart body.");
            }

            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? string.Empty;
            var field = contract.Fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.Ordinal))
                ?? throw Bad($"The form has a part named '{DisplayName.Of(name)}', which {where} does not take; send {contract.Expected}.", name);
            var count = counts[name] = counts.GetValueOrDefault(name) + 1;
            var maxCount = field.MaxCount(settings);
            if (count > maxCount)
            {
                throw Bad(maxCount == 1
                    ? $"The form has more than one '{name}' part; {where} takes exactly one. Send {contract.Expected}."
                    : $"The form has more than {maxCount:N0} '{name}' parts, the limit of {where}. Send fewer per request.", name);
            }

            if (disposition.IsFileDisposition() != field.IsFile)
            {
                throw Bad(field.IsFile
                    ? $"'{name}' must be a file part (a Content-Disposition with a filename, as curl -F '{name}=@x.jpeg' sends); send {contract.Expected}."
                    : $"'{name}' must be a plain form value, not a file; send {contract.Expected}.", name);
            }

            if (field.IsFile)
            {
                var fileName = HeaderUtilities.RemoveQuotes(
                    StringSegment.IsNullOrEmpty(disposition.FileNameStar) ? disposition.FileName : disposition.FileNameStar).Value ?? string.Empty;
                files.Add(spooled is null
                    ? await InMemoryAsync(section, name, fileName, settings.MaxImageBytes, context.RequestAborted)
                    : await spooled.AddAsync(section, name, fileName, context.RequestAborted));
            }
            else
            {
                values[name] = StringValues.Concat(values.GetValueOrDefault(name), await ValueAsync(section, name, context.RequestAborted));
            }
        }

        return new FormCollection(values, files);
    }

    private static async Task<MultipartSection?> NextSectionAsync(MultipartReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (IOException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Truncated();
        }
        catch (InvalidDataException ex)
        {
            // The reader's messages name the multipart rule that was broken (line length, header count, missing end).
            throw Bad($"The multipart body is malformed: {ex.Message} A file name with a quote, a backslash or a line break must be encoded "
                + "(filename*=UTF-8''...); let the HTTP client build the multipart body (curl -F, HttpClient's MultipartFormDataContent).");
        }
    }

    // Bytes past the image limit are read and dropped, so the handler can name the real size without anything holding it.
    private static async Task<IFormFile> InMemoryAsync(MultipartSection section, string name, string fileName, long maxBytes, CancellationToken cancellationToken)
    {
        var kept = new MemoryStream();
        var buffer = new byte[BufferBytes];
        long length = 0;
        int read;
        while ((read = await ReadSectionAsync(section, buffer, cancellationToken)) > 0)
        {
            if (length + read <= maxBytes)
            {
                kept.Write(buffer, 0, read);
            }

            length += read;
        }

        if (length > maxBytes)
        {
            kept.SetLength(0);
        }

        kept.Position = 0;
        var file = new FormFile(kept, 0, length > maxBytes ? 0 : length, name, fileName) { Headers = Headers(section) };
        return length > maxBytes ? new OversizedFormFile(file, length) : file;
    }

    private static async Task<string> ValueAsync(MultipartSection section, string name, CancellationToken cancellationToken)
    {
        using var text = new StreamReader(section.Body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, BufferBytes, leaveOpen: true);
        var buffer = new char[MaxValueChars + 1];
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await text.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }

        return total > MaxValueChars
            ? throw Bad($"The form field '{name}' is longer than {MaxValueChars.ToString("N0", CultureInfo.InvariantCulture)} characters.", name)
            : new string(buffer, 0, total);
    }

    internal static async Task<int> ReadSectionAsync(MultipartSection section, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await section.Body.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Truncated();
        }
        catch (InvalidDataException ex)
        {
            throw Bad($"The multipart body is malformed: {ex.Message}");
        }
    }

    // The reader's "Unexpected end of Stream": the body stopped before the closing boundary.
    private static RequestRefusedException Truncated() =>
        Bad("The multipart body ended before its closing boundary ('--' + boundary + '--'); send the complete form.");

    internal static HeaderDictionary Headers(MultipartSection section) => new(section.Headers ?? []);

    private static RequestRefusedException Bad(string detail, string? field = null) =>
        new(StatusCodes.Status400BadRequest, "Bad request", detail,
            field is null ? null : new Dictionary<string, object?> { ["field"] = DisplayName.Of(field) });

    private sealed class ReadFormFeature(IFormCollection form) : IFormFeature
    {
        public bool HasFormContentType => true;

        public IFormCollection? Form { get; set; } = form;

        public IFormCollection ReadForm() => Form!;

        public Task<IFormCollection> ReadFormAsync(CancellationToken cancellationToken) => Task.FromResult(Form!);
    }
}

/// <summary>A file part over the image limit: its real length for the refusal, none of its bytes.</summary>
internal sealed class OversizedFormFile(IFormFile inner, long length) : IFormFile
{
    public string ContentType => inner.ContentType;

    public string ContentDisposition => inner.ContentDisposition;

    public IHeaderDictionary Headers => inner.Headers;

    public long Length => length;

    public string Name => inner.Name;

    public string FileName => inner.FileName;

    public void CopyTo(Stream target) => throw NotKept();

    public Task CopyToAsync(Stream target, CancellationToken cancellationToken = default) => throw NotKept();

    public Stream OpenReadStream() => throw NotKept();

    private static InvalidOperationException NotKept() => new("A file over the image limit is measured, not kept.");
}

/// <summary>Reads at most <c>limit</c> bytes of a request body, then throws the refusal <c>tooLarge</c> makes.</summary>
internal sealed class LimitedReadStream(Stream inner, long limit, Func<Exception> tooLarge) : Stream
{
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // One byte more than the limit is asked for, so a body of exactly the limit passes and one byte more does not.
        var allowed = (int)Math.Min(buffer.Length, limit - _read + 1);
        int read;
        try
        {
            read = await inner.ReadAsync(buffer[..allowed], cancellationToken);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw tooLarge();
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own refusals while reading (a body sent too slowly: 408; broken chunked encoding: 400).
            throw new RequestRefusedException(ex.StatusCode, ex.StatusCode == StatusCodes.Status408RequestTimeout ? "Request timeout" : "Bad request",
                ex.StatusCode == StatusCodes.Status408RequestTimeout
                    ? "The request body arrived too slowly (below the server's minimum data rate); send it again on a faster connection."
                    : $"The request body could not be read: {ex.Message}");
        }

        _read += read;
        return _read > limit ? throw tooLarge() : read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read the request body asynchronously.");

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

internal static class MultipartFormEndpointExtensions
{
    /// <summary>Declares the multipart form an endpoint takes; <see cref="MultipartFormMiddleware"/> reads it by this.</summary>
    public static RouteHandlerBuilder AcceptsForm(this RouteHandlerBuilder builder, MultipartFormContract contract) =>
        builder.WithMetadata(contract);
}
