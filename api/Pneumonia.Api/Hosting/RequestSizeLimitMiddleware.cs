using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Pneumonia.Api.Uploads;

namespace Pneumonia.Api.Hosting;

/// <summary>
/// Each endpoint's body limit: its <see cref="MultipartFormContract"/>'s, else <see cref="MaxOtherBodyBytes"/> (no
/// other endpoint reads a body). A declared length over it is refused before anything reads the body; the same limit
/// is set on the server's body-size feature, so Kestrel cuts off a body of unknown length there (the multipart reader
/// also counts, for servers without the feature).
/// </summary>
internal sealed class RequestSizeLimitMiddleware(RequestDelegate next, IOptions<PneumoniaApiOptions> options, IProblemDetailsService problemDetails)
{
    /// <summary>The body limit of endpoints that take no body.</summary>
    public const long MaxOtherBodyBytes = 64 * 1024;

    /// <summary>The limit on all request headers together (Kestrel's default), refused here with a ProblemDetails 431.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    /// <summary>The limit on the request target (path and query; Kestrel's default request line), refused here with a ProblemDetails 414.</summary>
    public const int MaxTargetBytes = 8 * 1024;

    /// <summary>
    /// Kestrel's own limits are set to this many times ours: Kestrel refuses before any application code runs, with an
    /// empty body, so requests between our limit and its limit get the ProblemDetails answer; beyond, Kestrel's bare one.
    /// </summary>
    public const int KestrelLimitFactor = 2;

    public async Task InvokeAsync(HttpContext context)
    {
        var headerBytes = context.Request.Headers.Sum(header => header.Key.Length + 4 + header.Value.Sum(value => value?.Length ?? 0));
        if (headerBytes > MaxHeaderBytes)
        {
            await Refusals.WriteAsync(context, problemDetails, StatusCodes.Status431RequestHeaderFieldsTooLarge, "Request headers too large",
                $"The request headers are {headerBytes:N0} bytes, over the limit of {MaxHeaderBytes:N0} bytes; send fewer or smaller headers (cookies, tokens).",
                new Dictionary<string, object?> { ["limit_bytes"] = MaxHeaderBytes });
            return;
        }

        var targetBytes = context.Request.Path.Value?.Length + context.Request.QueryString.Value?.Length ?? 0;
        if (targetBytes > MaxTargetBytes)
        {
            await Refusals.WriteAsync(context, problemDetails, StatusCodes.Status414UriTooLong, "URI too long",
                $"The request's path and query string are {targetBytes:N0} characters, over the limit of {MaxTargetBytes:N0}; send long data in the body of an endpoint that takes one.",
                new Dictionary<string, object?> { ["limit_bytes"] = MaxTargetBytes });
            return;
        }

        var contract = context.GetEndpoint()?.Metadata.GetMetadata<MultipartFormContract>();
        var limit = contract?.MaxBodyBytes(options.Value) ?? MaxOtherBodyBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        if (context.Request.ContentLength > limit)
        {
            var expected = contract?.Expected ?? "no body (this endpoint takes its parameters in the query string)";
            await Refusals.TooLarge(context, limit, expected, context.Request.ContentLength).WriteAsync(context, problemDetails);
            return;
        }

        await next(context);
    }
}
