using System.Net;
using Microsoft.Extensions.Options;
using Pneumonia.Api.Hosting;

namespace Pneumonia.Api.Security;

/// <summary>Which configured listen addresses reach beyond this machine.</summary>
internal static class ListenAddresses
{
    /// <summary>
    /// The configured URLs that are not loopback: <c>urls</c> (ASPNETCORE_URLS, --urls), <c>http_ports</c> and
    /// <c>https_ports</c> (which bind every interface) and <c>Kestrel:Endpoints:*:Url</c>. Nothing configured means
    /// Kestrel's default, http://localhost:5000.
    /// </summary>
    public static IReadOnlyList<string> NonLoopback(IConfiguration configuration)
    {
        var urls = Split(configuration["urls"])
            .Concat(Split(configuration["http_ports"]).Select(port => $"http://*:{port}"))
            .Concat(Split(configuration["https_ports"]).Select(port => $"https://*:{port}"))
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(endpoint => endpoint["Url"]).OfType<string>());
        return urls.Where(url => !IsLoopback(url)).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>True for localhost, 127.0.0.0/8 and [::1]; false for wildcards (*, +, 0.0.0.0, [::]) and any other host.</summary>
    public static bool IsLoopback(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var rest = schemeEnd < 0 ? url : url[(schemeEnd + 3)..];
        var hostEnd = rest.StartsWith('[') ? rest.IndexOf(']', StringComparison.Ordinal) + 1 : rest.IndexOfAny([':', '/']);
        var host = hostEnd <= 0 ? rest : rest[..hostEnd];
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    private static string[] Split(string? value) =>
        (value ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Refuses to start a server that listens beyond loopback while mutating endpoints have no API key.</summary>
internal sealed class ApiKeyRequiredWhenExposed(IConfiguration configuration) : IValidateOptions<PneumoniaApiOptions>
{
    public ValidateOptionsResult Validate(string? name, PneumoniaApiOptions options)
    {
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            return ValidateOptionsResult.Success;
        }

        var exposed = ListenAddresses.NonLoopback(configuration);
        return exposed.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Refusing to start: the server would listen on {string.Join(", ", exposed)}, beyond loopback, and no API key " +
                "is configured for the mutating endpoints. Set Pneumonia:Api:ApiKey (environment: Pneumonia__Api__ApiKey) " +
                "or listen on localhost only.");
    }
}
