namespace Pneumonia.Ml.Tests.Modeling;

/// <summary>Locates the shared chest X-ray data set for tests.</summary>
internal static class TestPaths
{
    private const string DataDirectoryVariable = "PNEUMONIA_CHEST_XRAY_DIR";

    /// <summary>
    /// <c>PNEUMONIA_CHEST_XRAY_DIR</c> if set, else <c>shared/data/chest_xray</c> beside the folder holding
    /// PneumoniaOrleans.sln or beside one of its ancestors (a git worktree sits one level deeper than the main checkout).
    /// </summary>
    public static string ChestXrayDirectory()
    {
        var configured = Environment.GetEnvironmentVariable(DataDirectoryVariable);
        if (!string.IsNullOrEmpty(configured))
            return configured;

        var solution = FindSolutionDirectory();
        for (var directory = solution.Parent; directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "shared", "data", "chest_xray");
            if (Directory.Exists(candidate))
                return candidate;
        }
        throw new DirectoryNotFoundException($"No shared/data/chest_xray above '{solution.FullName}'; set {DataDirectoryVariable}.");
    }

    private static DirectoryInfo FindSolutionDirectory()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PneumoniaOrleans.sln")))
                return directory;
        }
        throw new DirectoryNotFoundException($"PneumoniaOrleans.sln not found above '{AppContext.BaseDirectory}'.");
    }
}
