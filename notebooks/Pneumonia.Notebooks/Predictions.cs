using Pneumonia.Abstractions;
using Pneumonia.Notebooks.Views;

namespace Pneumonia.Notebooks;

/// <summary>Classifies files the two ways a client can: a grain call to the cluster, or the REST API.</summary>
public sealed class Predictions(NotebookSession session)
{
    /// <summary><see cref="IPredictionGrain.PredictAsync"/> per file, with heatmaps.</summary>
    public async Task<IReadOnlyList<ClassifiedImage>> ViaGrainsAsync(IEnumerable<string> paths)
    {
        var results = new List<ClassifiedImage>();
        foreach (var path in paths)
        {
            var outcome = await session.Prediction.PredictAsync(new NamedImage(Path.GetFileName(path), await File.ReadAllBytesAsync(path)), heatmap: true);
            results.Add(ClassifiedImage.FromGrain(path, outcome));
        }

        return results;
    }

    /// <summary><c>POST /predict?heatmap=true</c> per file.</summary>
    public async Task<IReadOnlyList<ClassifiedImage>> ViaApiAsync(IEnumerable<string> paths)
    {
        var api = session.RequireApi();
        var results = new List<ClassifiedImage>();
        foreach (var path in paths)
        {
            results.Add(ClassifiedImage.FromApi(path, await api.PredictAsync(path)));
        }

        return results;
    }

    /// <summary>The whole batch in one grain call (<see cref="IPredictionGrain.PredictBatchAsync"/>).</summary>
    public async Task<IReadOnlyList<ClassifiedImage>> BatchViaGrainAsync(IReadOnlyList<string> paths)
    {
        var images = new List<NamedImage>();
        foreach (var path in paths)
        {
            images.Add(new NamedImage(Path.GetFileName(path), await File.ReadAllBytesAsync(path)));
        }

        var outcomes = await session.Prediction.PredictBatchAsync(images);
        return paths.Zip(outcomes, ClassifiedImage.FromGrain).ToArray();
    }
}
