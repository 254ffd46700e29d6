using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Pneumonia.Grains.Hosting;
using Pneumonia.Abstractions;
using Pneumonia.Api.Security;
using Pneumonia.Api.Uploads;
using Pneumonia.Silo.Hosting;

namespace Pneumonia.Api.Hosting;

/// <summary>The service registrations and pipeline of the API, one extension per concern (Program.cs lists them).</summary>
public static class ApiHostingExtensions
{
    /// <summary>Binds and validates <see cref="PneumoniaApiOptions"/> (at start-up, including the listen-address check).</summary>
    public static WebApplicationBuilder AddPneumoniaApiOptions(this WebApplicationBuilder builder)
    {
        StartupRefusals.ExitCleanlyOnRefusal();
        builder.Services.AddOptions<PneumoniaApiOptions>()
            .BindConfiguration(PneumoniaApiOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PneumoniaApiOptions>, ApiKeyRequiredWhenExposed>();
        return builder;
    }

    /// <summary>
    /// Co-hosted mode (the default) runs the silo with the grains in this process; client mode connects to a
    /// separate cluster through its gateways. Either way handlers get an <see cref="IGrainFactory"/>.
    /// </summary>
    public static WebApplicationBuilder AddPneumoniaCluster(this WebApplicationBuilder builder)
    {
        // The mode decides which services exist, so it is read now; the full validation runs again at start-up.
        var options = ReadApiOptions(builder.Configuration);
        if (options.Mode == ApiHostingMode.CoHosted)
        {
            builder.AddPneumoniaSilo(silo => silo.AddPneumoniaGrains());
        }
        else
        {
            // Uploads are written to the image store the silos read, so the client needs the same data directory.
            builder.Services.AddPneumoniaDataOptions();
            builder.Services.AddOptions<RetrainOptions>().BindConfiguration(RetrainOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddOptions<DatasetOptions>().BindConfiguration(DatasetOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
            builder.Services.AddPneumoniaImageStore();
            var hostedBefore = builder.Services.Where(service => service.ServiceType == typeof(IHostedService)).ToList();
            builder.UseOrleansClient(client =>
            {
                // Keep trying to find a gateway (ClusterConnection runs this in the background): a front end started
                // before every silo waits for one instead of exiting.
                client.UseConnectionRetryFilter(async (_, cancellationToken) =>
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                    return true;
                });
                client.Configure<ClusterOptions>(cluster =>
                {
                    cluster.ClusterId = options.ClusterId;
                    cluster.ServiceId = options.ServiceId;
                });
                client.Configure<ClientMessagingOptions>(messaging => messaging.ResponseTimeout = options.GrainCallTimeout);
                if (options.Clustering == SiloClustering.Redis)
                {
                    client.UseRedisClustering(redis => redis.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(options.Redis!));
                    // Learn of new and removed silos' gateways within seconds rather than Orleans' default minute.
                    client.Configure<GatewayOptions>(gateways => gateways.GatewayListRefreshPeriod = options.GatewayListRefreshPeriod);
                }
                else if (options.Gateways.Count > 0)
                {
                    client.UseStaticClustering([.. options.Gateways.Select(IPEndPoint.Parse)]);
                }
                else
                {
                    client.UseLocalhostClustering(options.ClientGatewayPort, options.ServiceId, options.ClusterId);
                }
            });

            // Orleans' hosted service (the client's start) runs inside ClusterConnection instead, off the host's start.
            var orleansHosted = builder.Services.Where(service => service.ServiceType == typeof(IHostedService)).Except(hostedBefore).ToList();
            foreach (var service in orleansHosted)
            {
                builder.Services.Remove(service);
            }

            builder.Services.AddSingleton(services => new ClusterConnection(
                [.. orleansHosted.Select(service => (IHostedService)(service.ImplementationInstance
                    ?? service.ImplementationFactory?.Invoke(services)
                    ?? ActivatorUtilities.CreateInstance(services, service.ImplementationType!)))],
                services.GetRequiredService<ILogger<ClusterConnection>>()));
            builder.Services.AddHostedService(services => services.GetRequiredService<ClusterConnection>());
        }

        return builder;
    }

    /// <summary>JSON shape (snake_case, enums as strings), ProblemDetails for every error, and body-size limits.</summary>
    public static WebApplicationBuilder AddPneumoniaHttp(this WebApplicationBuilder builder)
    {
        var options = ReadApiOptions(builder.Configuration);
        builder.Services.Configure<JsonOptions>(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });
        builder.Services.AddProblemDetails(problems => problems.CustomizeProblemDetails = Refusals.Complete).WithTraceIdInProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();

        // Binding errors are thrown (and turned into ProblemDetails naming the parameter) instead of a bare 400.
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            // RequestSizeLimitMiddleware refuses at the usual limits with ProblemDetails; Kestrel's bare refusals only above.
            kestrel.Limits.MaxRequestHeadersTotalSize = RequestSizeLimitMiddleware.MaxHeaderBytes * RequestSizeLimitMiddleware.KestrelLimitFactor;
            kestrel.Limits.MaxRequestLineSize = RequestSizeLimitMiddleware.MaxTargetBytes * RequestSizeLimitMiddleware.KestrelLimitFactor;
        });
        builder.Services.Configure<FormOptions>(form =>
        {
            form.MultipartBodyLengthLimit = options.MaxRequestBytes;
            form.ValueCountLimit = 1_024;
        });
        return builder;
    }

    /// <summary>The <c>X-API-Key</c> scheme and the policy that mutating endpoints require.</summary>
    public static WebApplicationBuilder AddApiKeyAuthentication(this WebApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(
                ApiKeyAuthenticationHandler.SchemeName, configureOptions: null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyAuthenticationHandler.PolicyName, policy => policy
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser());
        return builder;
    }

    /// <summary>Middleware in order: errors as ProblemDetails, the cluster connection gate, request size, authentication, multipart forms.</summary>
    public static WebApplication UsePneumoniaPipeline(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (app.Services.GetService<ClusterConnection>() is { } connection)
        {
            app.Use(connection.GateAsync);
        }

        app.UseMiddleware<RequestSizeLimitMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        // After authorization: a stranger's upload is refused before a byte of its body is read.
        app.UseMiddleware<MultipartFormMiddleware>();
        return app;
    }

    /// <summary>
    /// The Orleans dashboard at /dashboard, when the silo runs here and collects dashboard data. When the server
    /// listens beyond loopback it needs the API key like the mutating endpoints: it shows grain state and traces.
    /// </summary>
    public static WebApplication MapPneumoniaDashboard(this WebApplication app)
    {
        var api = app.Services.GetRequiredService<IOptions<PneumoniaApiOptions>>().Value;
        var silo = app.Configuration.GetSection(PneumoniaSiloOptions.SectionName).Get<PneumoniaSiloOptions>() ?? new();
        if (api.Mode == ApiHostingMode.CoHosted && silo.DashboardEnabled)
        {
            var dashboard = app.MapOrleansDashboard(routePrefix: "/dashboard");
            if (ListenAddresses.NonLoopback(app.Configuration).Count > 0)
            {
                dashboard.RequireApiKey();
            }
        }

        return app;
    }

    internal static PneumoniaApiOptions ReadApiOptions(IConfiguration configuration)
    {
        var options = new PneumoniaApiOptions();
        configuration.GetSection(PneumoniaApiOptions.SectionName).Bind(options);
        options.MaxImageBytes = ImageInputOptions.MaxFileBytesIn(configuration);
        if (configuration[$"{PneumoniaApiOptions.SectionName}:{nameof(PneumoniaApiOptions.ClientGatewayPort)}"] is null)
        {
            options.ClientGatewayPort = PneumoniaPorts.Gateway + configuration.GetValue<int>(PneumoniaPorts.OffsetSetting);
        }

        var validation = new DataAnnotationValidateOptions<PneumoniaApiOptions>(Options.DefaultName).Validate(Options.DefaultName, options);
        return validation.Failed
            ? throw new OptionsValidationException(Options.DefaultName, typeof(PneumoniaApiOptions), validation.Failures)
            : options;
    }
}
