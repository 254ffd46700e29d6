using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Pneumonia.ServiceDefaults;
using Pneumonia.Silo.Hosting;

namespace Pneumonia.Silo.Tests;

/// <summary>One setting moves every default port; a port another process holds is refused with a clear message.</summary>
public sealed class PortTests
{
    [Fact]
    public void A_silo_port_in_use_is_refused_naming_the_setting_and_the_offset()
    {
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var taken = ((IPEndPoint)other.LocalEndpoint).Port;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pneumonia:Silo:SiloPort"] = $"{taken}",
            ["Pneumonia:Silo:Persistence"] = "Memory",
        });

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddPneumoniaSilo());

        Assert.Contains($"Port {taken} (Pneumonia:Silo:SiloPort) is already in use", error.Message, StringComparison.Ordinal);
        Assert.Contains("--Pneumonia:Ports:Offset=100", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_offset_moves_the_default_ports_and_leaves_explicit_ones()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pneumonia:Ports:Offset"] = "100",
            ["Pneumonia:Silo:SiloPort"] = "12000",
        }).Build();
        var silo = new PneumoniaSiloOptions { SiloPort = 12000 };

        silo.ApplyPortOffset(configuration);

        Assert.Equal((12000, 30100), (silo.SiloPort, silo.GatewayPort));
        Assert.Equal("http://localhost:5180", DefaultUrls.For(configuration, 5080));
    }

    [Theory]
    [InlineData("urls", "http://127.0.0.1:6000")]
    [InlineData("http_ports", "6000")]
    [InlineData("Kestrel:Endpoints:Main:Url", "http://localhost:6000")]
    public void A_configured_listen_address_wins_over_the_default(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();

        Assert.Null(DefaultUrls.For(configuration, 5080));
    }
}
