using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pneumonia.Api.Hosting;

namespace Pneumonia.Api.Tests;

/// <summary>A fresh system with only the bundled model: nothing to train on, no jobs, nothing uploaded.</summary>
public sealed class EmptyDatasetTests(ApiFactory factory) : IClassFixture<ApiFactory>
{
    [Fact]
    public async Task Retrain_with_nothing_to_train_on_is_a_422_naming_what_is_missing_and_nothing_starts()
    {
        using var response = await factory.CreateAuthorizedClient().PostAsync("/retrain", null);
        var problem = await response.JsonAsync();
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var detail = problem.GetProperty("detail").GetString();
        Assert.Contains("has 0 NORMAL and 0 PNEUMONIA", detail, StringComparison.Ordinal);
        Assert.Contains("MinimumTrainingImagesPerClass", detail, StringComparison.Ordinal);
        Assert.Contains("POST /upload", detail, StringComparison.Ordinal);

        var progress = await (await factory.CreateClient().GetAsync("/retrain-progress")).JsonAsync();
        Assert.Equal(("idle", false, 0.0), (progress.GetProperty("status").GetString(), progress.GetProperty("running").GetBoolean(), progress.GetProperty("progress").GetDouble()));
        var jobs = await (await factory.CreateClient().GetAsync("/jobs")).JsonAsync();
        Assert.Equal(0, jobs.GetProperty("count").GetInt32());
        var stats = await (await factory.CreateClient().GetAsync("/dataset/stats")).JsonAsync();
        Assert.Equal(0, stats.GetProperty("total_images").GetInt32());
    }
}

/// <summary>The start-up refusal: a non-loopback listen address without an API key.</summary>
public sealed class ListenAddressTests
{
    [Theory]
    [InlineData("urls", "http://0.0.0.0:8080")]
    [InlineData("urls", "http://localhost:5000;http://*:5001")]
    [InlineData("http_ports", "8080")]
    [InlineData("Kestrel:Endpoints:Public:Url", "http://192.0.2.10:80")]
    public void The_server_refuses_to_start_beyond_loopback_without_an_api_key(string key, string value)
    {
        using var factory = new ExposedFactory(key, value);
        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());
        Assert.Contains("Refusing to start", error.Message, StringComparison.Ordinal);
        Assert.Contains("Pneumonia:Api:ApiKey", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://localhost:5080", true)]
    [InlineData("https://127.0.0.5:443", true)]
    [InlineData("http://[::1]:80", true)]
    [InlineData("http://+:80", false)]
    [InlineData("http://[::]:80", false)]
    [InlineData("http://example.org", false)]
    public void Loopback_addresses_are_told_from_the_rest(string url, bool loopback) =>
        Assert.Equal(loopback, Security.ListenAddresses.IsLoopback(url));

    private sealed class ExposedFactory(string key, string value) : Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting(key, value);
            builder.UseSetting("Pneumonia:Api:ApiKey", string.Empty);
            builder.UseSetting("Pneumonia:Silo:Persistence", "Memory");
            builder.UseSetting("Pneumonia:Silo:SiloPort", "1");
            builder.UseSetting("Pneumonia:Silo:GatewayPort", "2");
        }
    }
}

/// <summary>The input limits are validated when the server starts, not at the first upload.</summary>
public sealed class ImageInputOptionsTests
{
    [Theory]
    [InlineData("Pneumonia:Images:MinSide", "0", "MinSide")]
    [InlineData("Pneumonia:Images:MaxAspectRatio", "0.5", "MaxAspectRatio")]
    [InlineData("Pneumonia:Images:MinSide", "20000", "MinSide")]
    [InlineData("Pneumonia:Images:MaxFileBytes", "0", "MaxFileBytes")]
    [InlineData("Pneumonia:Api:MaxImageBytes", "1000000", "is now Pneumonia:Images:MaxFileBytes")]
    public void The_server_refuses_to_start_with_impossible_image_limits(string key, string value, string named)
    {
        using var factory = new MisconfiguredFactory(key, value);
        var error = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_byte_limit_reaches_the_request_limits_and_the_decoder_the_grains_use()
    {
        using var factory = new SmallLimitsApiFactory();
        using var client = factory.CreateClient();

        // Co-hosted, the prediction grains resolve the same decoder; a silo alone binds the same section.
        Assert.Equal(SmallLimitsApiFactory.MaxImageBytes, factory.Services.GetRequiredService<IOptions<PneumoniaApiOptions>>().Value.MaxImageBytes);
        Assert.Equal(SmallLimitsApiFactory.MaxImageBytes, factory.Services.GetRequiredService<Pneumonia.Ml.Images.XrayImageDecoder>().Limits.MaxFileBytes);
    }

    private sealed class MisconfiguredFactory(string key, string value) : Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting(key, value);
            builder.UseSetting("Pneumonia:Silo:Persistence", "Memory");
            builder.UseSetting("Pneumonia:Silo:SiloPort", "1");
            builder.UseSetting("Pneumonia:Silo:GatewayPort", "2");
        }
    }
}
