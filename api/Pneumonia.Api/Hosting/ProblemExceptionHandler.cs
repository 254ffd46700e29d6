using Microsoft.AspNetCore.Diagnostics;

namespace Pneumonia.Api.Hosting;

/// <summary>
/// Turns every exception that escapes an endpoint into ProblemDetails without stack traces or server paths:
/// binding and body-size errors keep their (client-facing) message and status; a cluster that cannot be reached
/// is a 503; anything else is a bare 500 with the trace id, the details going to the log only.
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problemDetails, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            return true;
        }

        var (status, title, detail) = exception switch
        {
            BadHttpRequestException bad => BindingFailures.Describe(httpContext, bad),
            // The Orleans dashboard's handlers throw when a silo address in the URL does not parse (found by the fuzz run).
            _ when httpContext.Request.Path.StartsWithSegments("/dashboard") && IsFormatError(exception) =>
                (StatusCodes.Status400BadRequest, "Bad request", "A value in the dashboard URL (a silo address or grain type) is not valid."),
            IOException io when IsDiskFull(io) =>
                (StatusCodes.Status507InsufficientStorage, "Insufficient storage", "The server's disk is full; nothing of this request was kept. Try again later."),
            SiloUnavailableException or OrleansMessageRejectionException or TimeoutException =>
                (StatusCodes.Status503ServiceUnavailable, "Service unavailable", "The grain cluster did not answer; try again shortly."),
            // The runtime's own failures, e.g. no silo of the role a grain needs is up (every trainer is down, in the
            // failover drill): the cluster cannot serve this now, which is not the same as a bug in this server.
            OrleansException orleans =>
                (StatusCodes.Status503ServiceUnavailable, "Service unavailable", MissingRole(orleans) is { } role
                    ? $"No {role} silo is running in the cluster, and this request needs one; it will be served once a {role} silo has joined."
                    : "The grain cluster cannot serve this request right now (no silo able to host it is running); try again shortly."),
            _ => (StatusCodes.Status500InternalServerError, "Internal server error", "An unexpected error occurred; the trace id identifies it in the server log."),
        };

        if (status >= StatusCodes.Status500InternalServerError)
        {
            logger.LogError(exception, "Request {Method} {Path} failed", httpContext.Request.Method, httpContext.Request.Path);
        }
        else
        {
            logger.LogInformation("Request {Method} {Path} refused: {Message}", httpContext.Request.Method, httpContext.Request.Path, exception.Message);
        }

        httpContext.Response.StatusCode = status;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    // Orleans' placement names the grain type it found no silo for ("No active nodes are compatible with grain
    // trainingjob ..."); the role filter is what made every silo incompatible, so the type says which role is missing.
    private static string? MissingRole(OrleansException exception) =>
        !exception.Message.Contains("No active nodes are compatible", StringComparison.Ordinal) ? null
        : exception.Message.Contains("grain trainingjob", StringComparison.OrdinalIgnoreCase) ? "trainer"
        : exception.Message.Contains("grain prediction", StringComparison.OrdinalIgnoreCase) ? "predictor"
        : null;

    // ENOSPC (28) on Unix; ERROR_DISK_FULL and ERROR_HANDLE_DISK_FULL as HRESULTs on Windows.
    private static bool IsDiskFull(IOException exception) =>
        exception.HResult is 28 or unchecked((int)0x80070070) or unchecked((int)0x80070027);

    private static bool IsFormatError(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is FormatException or ArgumentException)
            {
                return true;
            }
        }

        return false;
    }
}
