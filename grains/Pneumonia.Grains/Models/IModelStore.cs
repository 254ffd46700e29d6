
namespace Pneumonia.Grains.Models;

/// <summary>
/// Where model versions live (model.json + weights.bin per version), as the grains, training and serving need it.
/// <see cref="ModelStore"/> keeps them in a directory that every silo of a cluster shares. The members speak in local
/// directories because TorchSharp loads and saves files: the object-store implementation
/// (<see cref="Storage.AzureBlobModelStore"/>) downloads a version into a local cache in <see cref="PathOf"/> and
/// uploads the finished staging directory in <see cref="Publish"/>.
/// A version appears complete or not at all, and a published version never changes.
/// </summary>
public interface IModelStore
{
    /// <summary>A local directory holding the version the registry records as <paramref name="relativeDirectory"/>.</summary>
    /// <exception cref="ArgumentException">The name is not a plain directory name.</exception>
    string PathOf(string relativeDirectory);

    /// <summary>A fresh, empty local directory to build a version in before <see cref="Publish"/>.</summary>
    string NewStagingDirectory(string purpose);

    /// <summary>Publishes a finished staging directory as <paramref name="version"/>; returns the name the registry records.</summary>
    string Publish(string stagingDirectory, string version);

    /// <summary>Copies a model directory (model.json, weights.bin) into the store under its card's version.</summary>
    (ModelCard Card, string Directory) Import(string sourceDirectory);
}
