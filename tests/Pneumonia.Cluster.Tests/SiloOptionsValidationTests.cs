using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Pneumonia.Grains.Hosting;
using Pneumonia.Silo.Hosting;

namespace Pneumonia.Cluster.Tests;

/// <summary>Cluster settings that cannot work are refused when the silo is built, naming the setting.</summary>
public sealed class SiloOptionsValidationTests
{
    [Theory]
    [InlineData("Clustering=Redis", "Pneumonia:Silo:Redis")]
    [InlineData("Clustering=Redis;Redis=127.0.0.1:1;Persistence=File", "Pneumonia:Silo:Persistence=File")]
    [InlineData("GatewayPort=0", "Pneumonia:Silo:GatewayPort=0")]
    [InlineData("Clustering=Redis;Redis=127.0.0.1:1;Persistence=Redis;AdvertisedAddress=silo-a", "AdvertisedAddress")]
    [InlineData("Roles=trainer,cook", "'cook'")]
    [InlineData("Roles= , ", "Pneumonia:Silo:Roles")]
    public void Invalid_silo_settings_fail_at_build_naming_the_problem(string settings, string expected)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings.Split(';').Select(pair => pair.Split('=', 2))
            .Select(pair => new KeyValuePair<string, string?>($"Pneumonia:Silo:{pair[0]}", pair[1])));

        var error = Assert.Throws<OptionsValidationException>(() =>
        {
            builder.AddPneumoniaSilo(silo => silo.AddPneumoniaGrains());
            using var host = builder.Build();
        });

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
