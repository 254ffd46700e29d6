using Pneumonia.ServiceDefaults;

namespace Pneumonia.Api.Hosting;

/// <summary>
/// Puts the request's W3C trace id into every ProblemDetails as <c>trace_id</c> (32 hex digits, the id the traces
/// and the JSON logs carry), so a client's error report leads to the server's logs and traces. It adds itself to
/// whatever <see cref="ProblemDetailsOptions.CustomizeProblemDetails"/> other registrations set, before or after.
/// </summary>
public static class TraceIdProblemDetails
{
    public const string Key = "trace_id";

    public static IServiceCollection WithTraceIdInProblemDetails(this IServiceCollection services)
    {
        services.PostConfigure<ProblemDetailsOptions>(options =>
        {
            var previous = options.CustomizeProblemDetails;
            options.CustomizeProblemDetails = context =>
            {
                previous?.Invoke(context);
                context.ProblemDetails.Extensions[Key] = PneumoniaTelemetry.TraceId(context.HttpContext);
            };
        });
        return services;
    }
}
