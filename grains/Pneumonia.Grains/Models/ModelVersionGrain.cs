using Pneumonia.Abstractions;

namespace Pneumonia.Grains.Models;

/// <summary>Persisted state of <see cref="ModelVersionGrain"/>.</summary>
[GenerateSerializer, Alias("pneumonia.ModelVersionState")]
public sealed class ModelVersionState
{
    [Id(0)] public ModelVersionInfo? Info { get; set; }
}

/// <summary>One immutable model version, keyed by its name.</summary>
public sealed class ModelVersionGrain(
    [PersistentState("version", GrainStorage.Name)] IPersistentState<ModelVersionState> state) : Grain, IModelVersionGrain
{
    public async Task RegisterAsync(ModelVersionInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var key = this.GetPrimaryKeyString();
        if (!string.Equals(info.Version, key, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The description is of version {info.Version}, this grain is version {key}.", nameof(info));
        }

        if (state.State.Info is { } existing)
        {
            if (existing != info)
            {
                throw new InvalidOperationException($"Version {key} is registered already with other content; versions never change.");
            }

            return;
        }

        state.State.Info = info;
        await state.WriteStateAsync();
    }

    public Task<ModelVersionInfo?> GetAsync() => Task.FromResult(state.State.Info);
}
