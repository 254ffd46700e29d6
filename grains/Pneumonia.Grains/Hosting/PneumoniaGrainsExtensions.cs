using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pneumonia.Grains.Dataset;
using Pneumonia.Grains.Models;
using Pneumonia.Grains.Placement;
using Pneumonia.Grains.Prediction;
using Pneumonia.Grains.Storage;
using Pneumonia.Grains.Telemetry;
using Pneumonia.Grains.Training;
using Azure.Storage.Blobs;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Serving;
using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;

namespace Pneumonia.Grains.Hosting;

/// <summary>Registers the grains' options and silo-side services.</summary>
public static class PneumoniaGrainsExtensions
{
    /// <summary>
    /// Adds the options (<see cref="PneumoniaDataOptions"/>, <see cref="PromotionOptions"/>, <see cref="RetrainOptions"/>,
    /// <see cref="PredictionOptions"/>, <see cref="ImageInputOptions"/>, <see cref="DatasetOptions"/>, validated at start-up), the image and model stores, the per-silo production
    /// model (<see cref="ProductionModelHost"/>, also as <see cref="IProductionModelStatus"/>) and its inference
    /// thread (<see cref="InferenceBatcher"/>), the training executor,
    /// the base data set importer, and the start-up steps (bundled model, job recovery scan, model refresh loop).
    /// </summary>
    /// <remarks>
    /// On a silo builder it also publishes the silo's roles (<see cref="SiloRoleOptions"/>, <c>Pneumonia:Silo:Roles</c>)
    /// as Orleans silo metadata and registers the placement filter that keeps training jobs on trainer silos and
    /// predictions on predictor silos.
    /// </remarks>
    /// <exception cref="OptionsValidationException">The configured roles are invalid.</exception>
    public static ISiloBuilder AddPneumoniaGrains(this ISiloBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPneumoniaGrains();

        // The metadata is fixed when the silo is built, so the roles are read and validated now.
        var roles = builder.Configuration.GetSection(SiloRoleOptions.SectionName).Get<SiloRoleOptions>() ?? new();
        var validation = new DataAnnotationValidateOptions<SiloRoleOptions>(Options.DefaultName).Validate(Options.DefaultName, roles);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(SiloRoleOptions), validation.Failures);
        }

        builder.UseSiloMetadata(new Dictionary<string, string> { [SiloRoles.MetadataKey] = string.Join(',', SiloRoles.Parse(roles.Roles)) });
        builder.Services.AddPlacementFilter<SiloRolePlacementFilterStrategy, SiloRolePlacementFilterDirector>(ServiceLifetime.Transient);
        return builder;
    }

    /// <inheritdoc cref="AddPneumoniaGrains(ISiloBuilder)"/>
    public static IServiceCollection AddPneumoniaGrains(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        // Before any model loads libtorch: its OpenMP workers then sleep between forward passes instead of spinning.
        OpenMpWaitPolicy.ApplyDefault();
        services.AddPneumoniaDataOptions();
        services.AddOptions<PromotionOptions>().BindConfiguration(PromotionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<RetrainOptions>().BindConfiguration(RetrainOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PredictionOptions>().BindConfiguration(PredictionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SiloRoleOptions>().BindConfiguration(SiloRoleOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DatasetOptions>().BindConfiguration(DatasetOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.AddPneumoniaImageInput();
        services.AddPneumoniaImageStore();
        services.TryAddSingleton<ModelStore>();
        services.TryAddSingleton<IModelStore>(sp => sp.GetRequiredService<IOptions<PneumoniaDataOptions>>().Value.Store == DataStore.AzureBlob
            ? new AzureBlobModelStore(sp.GetRequiredService<BlobContainerClient>(), sp.GetRequiredService<ModelStore>())
            : sp.GetRequiredService<ModelStore>());
        services.TryAddSingleton<ProductionModelHost>();
        services.TryAddSingleton<IProductionModelStatus>(sp => sp.GetRequiredService<ProductionModelHost>());
        services.TryAddSingleton<InferenceBatcher>();
        services.AddMetrics();
        services.TryAddSingleton<GrainMetrics>();
        services.TryAddSingleton<TrainingExecutor>();
        services.TryAddSingleton<RetrainRunner>();
        services.TryAddSingleton<GateEvaluator>();
        services.TryAddSingleton<BaseDatasetImporter>();
        services.AddSingleton<PneumoniaSiloStartup>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<PneumoniaSiloStartup>());
        return services;
    }

    /// <summary>
    /// The image store as <c>Pneumonia:Data:Store</c> selects it (what an API front end in client mode needs too):
    /// callers depend on <see cref="IImageStore"/>; the directory store is the default, an Azure Blob Storage container
    /// (with the directory store as its local read-through cache) serves clusters without a shared disk.
    /// </summary>
    public static IServiceCollection AddPneumoniaImageStore(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(sp => new ContentAddressedImageStore(sp.GetRequiredService<IOptions<PneumoniaDataOptions>>().Value.ImagesDirectory));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PneumoniaDataOptions>>().Value;
            var container = new BlobContainerClient(options.AzureBlobConnectionString, options.AzureBlobContainer);
            container.CreateIfNotExists();
            return container;
        });
        services.TryAddSingleton<IImageStore>(sp => sp.GetRequiredService<IOptions<PneumoniaDataOptions>>().Value.Store == DataStore.AzureBlob
            ? new AzureBlobImageStore(sp.GetRequiredService<BlobContainerClient>(), sp.GetRequiredService<ContentAddressedImageStore>())
            : sp.GetRequiredService<ContentAddressedImageStore>());
        return services;
    }
}
