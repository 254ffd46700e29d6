using Pneumonia.Abstractions;

namespace Pneumonia.Grains.Dataset;

/// <summary>Persisted state of <see cref="ImageGrain"/>.</summary>
[GenerateSerializer, Alias("pneumonia.ImageState")]
public sealed class ImageState
{
    [Id(0)] public ImageRecord? Record { get; set; }
}

/// <summary>
/// One image, keyed by its SHA-256: the one place that decides whether bytes are new, so two uploads of the same
/// image in different batches (or silos) cannot both be accepted. The first record wins.
/// </summary>
public sealed class ImageGrain(
    [PersistentState("image", GrainStorage.Name)] IPersistentState<ImageState> state) : Grain, IImageGrain
{
    public async Task<ImageRegistration> RegisterAsync(ImageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var key = this.GetPrimaryKeyString();
        if (!string.Equals(record.Sha256, key, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The record is for image {record.Sha256}, this grain is image {key}.", nameof(record));
        }

        if (state.State.Record is { } existing)
        {
            return new ImageRegistration(Added: false, existing);
        }

        state.State.Record = record;
        await state.WriteStateAsync();
        return new ImageRegistration(Added: true, record);
    }

    public Task<ImageRecord?> GetAsync() => Task.FromResult(state.State.Record);
}
