using System.Buffers;
using Microsoft.Extensions.Options;
using Pneumonia.Grains.Hosting;
using Pneumonia.Ml.Packages;

namespace Pneumonia.Grains.Models;

/// <summary>
/// The directory of model versions: <c>models/&lt;version&gt;/</c> with model.json and weights.bin. A version
/// directory is complete when it appears: it is filled under <c>models/.staging/</c> and renamed into place.
/// </summary>
public sealed class ModelStore : IModelStore
{
    private const string StagingName = ".staging";
    private static readonly SearchValues<char> NameCharacters =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

    public ModelStore(IOptions<PneumoniaDataOptions> options)
        : this(options.Value.ModelsDirectory)
    {
    }

    public ModelStore(string modelsDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelsDirectory);
        RootDirectory = Path.GetFullPath(modelsDirectory);
    }

    public string RootDirectory { get; }

    /// <summary>The absolute directory of a version as the registry records it (relative to <see cref="RootDirectory"/>).</summary>
    /// <exception cref="ArgumentException">The name is not a plain directory name (so a stored value cannot point elsewhere).</exception>
    public string PathOf(string relativeDirectory) => Path.Combine(RootDirectory, CheckName(relativeDirectory));

    /// <summary>A fresh, empty directory under <c>.staging</c> to build a version in before <see cref="Publish"/>.</summary>
    public string NewStagingDirectory(string purpose)
    {
        var directory = Path.Combine(RootDirectory, StagingName, $"{CheckName(purpose)}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        return directory;
    }

    /// <summary>
    /// Moves a finished staging directory to <c>models/&lt;version&gt;</c> and returns the relative name. If the
    /// version exists already (a retried publish, or another silo publishing the same version into the shared
    /// directory at the same moment) the staging copy is deleted and the existing one kept.
    /// </summary>
    public string Publish(string stagingDirectory, string version)
    {
        var target = PathOf(version);
        try
        {
            if (!Directory.Exists(target))
            {
                Directory.Move(stagingDirectory, target);
                return version;
            }
        }
        catch (IOException) when (Directory.Exists(target))
        {
            // Lost the race to another publisher of the same version: theirs is complete (it appeared by a rename).
        }

        Directory.Delete(stagingDirectory, recursive: true);
        return version;
    }

    /// <summary>Copies a model directory (model.json, weights.bin) into the store under its card's version.</summary>
    public (ModelCard Card, string Directory) Import(string sourceDirectory)
    {
        var card = ModelPackage.ReadCard(sourceDirectory);
        if (Directory.Exists(PathOf(card.Version)))
        {
            return (card, card.Version);
        }

        return (card, Publish(CopyToStaging(this, sourceDirectory, card), card.Version));
    }

    /// <summary>A new staging directory of <paramref name="store"/> holding the model files of <paramref name="sourceDirectory"/>.</summary>
    internal static string CopyToStaging(IModelStore store, string sourceDirectory, ModelCard card)
    {
        var staging = store.NewStagingDirectory("import");
        foreach (var file in new[] { ModelPackage.CardFileName, card.Weights.FileName })
        {
            File.Copy(Path.Combine(sourceDirectory, file), Path.Combine(staging, Path.GetFileName(file)));
        }

        return staging;
    }

    private static string CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name.AsSpan().IndexOfAnyExcept(NameCharacters) >= 0 || name.StartsWith('.'))
        {
            throw new ArgumentException($"'{name}' is not a valid model directory name.", nameof(name));
        }

        return name;
    }
}
