using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Providers;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Pneumonia.Silo.Storage;

/// <summary>Registers <see cref="FileGrainStorage"/> on a silo.</summary>
public static class FileGrainStorageSiloBuilderExtensions
{
    /// <summary>Adds a file grain storage named <paramref name="name"/>; its options are validated at start-up.</summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="name">The storage name used in <c>[PersistentState(stateName, name)]</c>.</param>
    /// <param name="configure">Sets the options, at least <see cref="FileGrainStorageOptions.DataDirectory"/>.</param>
    /// <returns>The builder.</returns>
    public static ISiloBuilder AddFileGrainStorage(this ISiloBuilder builder, string name, Action<FileGrainStorageOptions> configure)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        builder.Services.AddOptions<FileGrainStorageOptions>(name)
            .Configure(configure)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddGrainStorage(name, Create);
        return builder;
    }

    /// <summary>Adds a file grain storage as the Orleans default provider (state declared without a storage name).</summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="configure">Sets the options, at least <see cref="FileGrainStorageOptions.DataDirectory"/>.</param>
    /// <returns>The builder.</returns>
    public static ISiloBuilder AddFileGrainStorageAsDefault(this ISiloBuilder builder, Action<FileGrainStorageOptions> configure)
        => builder.AddFileGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configure);

    private static FileGrainStorage Create(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<FileGrainStorageOptions>>().Get(name);
        var serializer = options.GrainStorageSerializer
            ?? services.GetKeyedService<IGrainStorageSerializer>(name)
            ?? new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>());
        return new FileGrainStorage(name, options.DataDirectory, serializer, services.GetRequiredService<IActivatorProvider>());
    }
}
