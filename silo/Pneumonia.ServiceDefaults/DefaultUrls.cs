using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Pneumonia.Abstractions;

namespace Pneumonia.ServiceDefaults;

/// <summary>
/// The HTTP address a process listens on when none is configured: <c>http://localhost:</c> its default port plus
/// <see cref="PneumoniaPorts.OffsetSetting"/>. Set in code rather than in launchSettings.json, whose
/// <c>applicationUrl</c> would silently override <c>ASPNETCORE_URLS</c> under <c>dotnet run</c>.
/// </summary>
public static class DefaultUrls
{
    /// <summary>Listens on the default address unless <c>urls</c>, <c>http_ports</c>, <c>https_ports</c> or Kestrel endpoints are configured.</summary>
    public static WebApplicationBuilder UsePneumoniaDefaultUrl(this WebApplicationBuilder builder, int defaultPort)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (For(builder.Configuration, defaultPort) is { } url)
        {
            builder.WebHost.UseUrls(url);
        }

        return builder;
    }

    /// <summary>The address to listen on, or null when the configuration names one.</summary>
    public static string? For(IConfiguration configuration, int defaultPort)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = !string.IsNullOrWhiteSpace(configuration["urls"])
            || !string.IsNullOrWhiteSpace(configuration["http_ports"])
            || !string.IsNullOrWhiteSpace(configuration["https_ports"])
            || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
        return configured ? null : $"http://localhost:{defaultPort + configuration.GetValue<int>(PneumoniaPorts.OffsetSetting)}";
    }
}
