using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pneumonia.Abstractions;
using Pneumonia.Silo.Hosting;

namespace Pneumonia.Silo.Tests;

/// <summary>The production wiring: a host with <c>AddPneumoniaSilo</c>, restarted on the same content root.</summary>
public sealed class SiloHostingTests : IDisposable
{
    private readonly TempDirectory _contentRoot = new();

    public void Dispose() => _contentRoot.Dispose();

    [Fact]
    public async Task A_restarted_host_keeps_grain_state_and_reminders_in_the_data_directory()
    {
        var (siloPort, gatewayPort) = (FreePort(), FreePort());

        using (var first = BuildHost(siloPort, gatewayPort))
        {
            await first.StartAsync();
            var counter = first.Services.GetRequiredService<IGrainFactory>().GetGrain<ICounterGrain>("hosted");
            Assert.Equal(1, await counter.Increment());
            await counter.RegisterReminder("nightly");
            await first.StopAsync();
        }

        var dataDirectory = Path.Combine(_contentRoot.Path, "state");
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(dataDirectory, "grains", GrainStorage.Name), "*.json", SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(dataDirectory, "reminders", "reminders.json")));

        using var second = BuildHost(siloPort, gatewayPort);
        await second.StartAsync();
        var again = second.Services.GetRequiredService<IGrainFactory>().GetGrain<ICounterGrain>("hosted");
        Assert.Equal(1, await again.GetCount());
        Assert.True(await again.HasReminder("nightly"));
        await second.StopAsync();
    }

    [Fact]
    public void Invalid_options_fail_when_the_silo_is_composed()
    {
        var error = Assert.Throws<OptionsValidationException>(() => BuildHost(siloPort: 0, gatewayPort: FreePort()));

        Assert.Contains(nameof(PneumoniaSiloOptions.SiloPort), error.Message, StringComparison.Ordinal);
    }

    private IHost BuildHost(int siloPort, int gatewayPort)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _contentRoot.Path });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pneumonia:Silo:DataDirectory"] = "state",
            ["Pneumonia:Silo:SiloPort"] = siloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Pneumonia:Silo:GatewayPort"] = gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        builder.AddPneumoniaSilo();
        return builder.Build();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
