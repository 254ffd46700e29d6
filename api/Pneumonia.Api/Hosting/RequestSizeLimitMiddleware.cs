using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Pneumonia.Api.Hosting;

/// <summary>
/// Refuses a request whose declared length is over <see cref="PneumoniaApiOptions.MaxRequestBytes"/> before anything
/// reads it, and sets the same limit on the server's body-size feature for bodies of unknown length (Kestrel also
/// has it as its global limit; the test server has no such limit of its own).
/// </summary>
internal sealed class RequestSizeLimitMiddleware(RequestDelegate next, IOptions<PneumoniaApiOptions> options, IProblemDetailsService problemDetails)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var limit = options.Value.MaxRequestBytes;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        if (context.Request.ContentLength > limit)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await problemDetails.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails =
                {
                    Status = StatusCodes.Status413PayloadTooLarge,
                    Title = "Request too large",
                    Detail = $"The request body is {context.Request.ContentLength:N0} bytes, over the limit of {limit:N0} bytes.",
                },
            });
            return;
        }

        await next(context);
    }
}
