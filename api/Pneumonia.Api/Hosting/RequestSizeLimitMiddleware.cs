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

    public async Task InvokeAsync(HttpContext context)
    {
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
