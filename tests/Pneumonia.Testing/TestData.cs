namespace Pneumonia.Testing;

/// <summary>Locates the shared test data; fails loudly when it is missing instead of skipping tests.</summary>
public static class TestData
{
    private const string ChestXrayVariable = "PNEUMONIA_CHEST_XRAY_DIR";

    /// <summary>
    /// The Kermany chest X-ray folder: <c>PNEUMONIA_CHEST_XRAY_DIR</c> if set, else <c>shared/data/chest_xray</c> in
    /// the nearest folder above the one holding <c>PneumoniaOrleans.sln</c> (its parent for the main checkout,
    /// a level higher for a git worktree under <c>wt/</c>).
    /// </summary>
    public static string ChestXrayRoot { get; } = FindChestXrayRoot();

    /// <summary>The folder holding PneumoniaOrleans.sln (the repository's root).</summary>
    public static string RepositoryRoot { get; } = FindSolution().FullName;

    /// <summary>The first <paramref name="count"/> images (ordinal order) of one split and label folder.</summary>
    public static IReadOnlyList<string> Images(string split, string label, int count) =>
        Directory.GetFiles(Path.Combine(ChestXrayRoot, split, label), "*.jpeg").Order(StringComparer.Ordinal).Take(count).ToList();

    /// <summary>
    /// Copies the first <c>Count</c> images of each label of each split into <paramref name="destination"/> in the
    /// Kaggle layout (split/LABEL/file), a small base data set for an API host to import; returns how many were copied.
    /// </summary>
    public static int CopyKaggleLayout(string destination, params (string Split, int Count)[] splits)
    {
        var copied = 0;
        foreach (var (split, count) in splits)
        {
            foreach (var label in new[] { "NORMAL", "PNEUMONIA" })
            {
                var folder = Directory.CreateDirectory(Path.Combine(destination, split, label)).FullName;
                foreach (var image in Images(split, label, count))
                {
                    File.Copy(image, Path.Combine(folder, Path.GetFileName(image)));
                    copied++;
                }
            }
        }

        return copied;
    }

    private static string FindChestXrayRoot()
    {
        var configured = Environment.GetEnvironmentVariable(ChestXrayVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(Path.Combine(configured, "manifest.csv"))
                ? configured
                : throw new InvalidOperationException($"{ChestXrayVariable}={configured} holds no chest X-ray data set (no manifest.csv).");
        }

        var solution = FindSolution();
        return Ancestors(solution.Parent)
            .Select(directory => Path.Combine(directory.FullName, "shared", "data", "chest_xray"))
            .FirstOrDefault(candidate => File.Exists(Path.Combine(candidate, "manifest.csv")))
            ?? throw new InvalidOperationException(
                $"No shared/data/chest_xray (with manifest.csv) above {solution.FullName}; set {ChestXrayVariable}.");
    }

    private static DirectoryInfo FindSolution() =>
        Ancestors(new DirectoryInfo(AppContext.BaseDirectory))
            .FirstOrDefault(directory => File.Exists(Path.Combine(directory.FullName, "PneumoniaOrleans.sln")))
        ?? throw new InvalidOperationException($"No PneumoniaOrleans.sln above {AppContext.BaseDirectory}; set {ChestXrayVariable}.");

    private static IEnumerable<DirectoryInfo> Ancestors(DirectoryInfo? start)
    {
        for (var directory = start; directory is not null; directory = directory.Parent)
        {
            yield return directory;
        }
    }
}
