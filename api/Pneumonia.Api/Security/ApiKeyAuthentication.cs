using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Pneumonia.Api.Hosting;

namespace Pneumonia.Api.Security;

/// <summary>
/// Authenticates requests by the <c>X-API-Key</c> header. It runs before the body is read, so an unauthenticated
/// upload is refused without buffering it. With no key configured every request passes (the start-up check makes
/// sure that happens only on loopback).
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<PneumoniaApiOptions> apiOptions,
    IProblemDetailsService problemDetails)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string PolicyName = "ApiKey";
    public const string HeaderName = "X-API-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var expected = apiOptions.Value.ApiKey;
        if (string.IsNullOrEmpty(expected))
        {
            return Task.FromResult(Success("anonymous"));
        }

        if (!Request.Headers.TryGetValue(HeaderName, out var supplied) || string.IsNullOrEmpty(supplied.ToString()))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        // Hashing first makes the comparison take the same time whatever the lengths; the key is never logged.
        var matches = CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(supplied.ToString())),
            SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
        return Task.FromResult(matches ? Success("api-key") : AuthenticateResult.Fail("The API key is not valid."));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var keyGiven = Request.Headers.ContainsKey(HeaderName);
        Response.StatusCode = keyGiven ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized;
        if (!keyGiven)
        {
            Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{HeaderName}\"";
        }

        await WriteProblemAsync(keyGiven
            ? "The X-API-Key header does not hold the configured API key."
            : "This endpoint changes data and requires the X-API-Key header.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return WriteProblemAsync("The API key does not allow this request.");
    }

    private static AuthenticateResult Success(string name) =>
        AuthenticateResult.Success(new AuthenticationTicket(
            new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], SchemeName)), SchemeName));

    private Task WriteProblemAsync(string detail) =>
        problemDetails.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = Response.StatusCode, Detail = detail },
        }).AsTask();
}

internal static class ApiKeyEndpointExtensions
{
    /// <summary>Requires the API key (when one is configured) for the endpoints of <paramref name="builder"/>.</summary>
    public static TBuilder RequireApiKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(ApiKeyAuthenticationHandler.PolicyName);
}
