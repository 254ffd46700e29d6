using System.CommandLine;

namespace Pneumonia.Cli;

/// <summary>Options several commands share, defined once.</summary>
internal static class CommonOptions
{
    /// <summary>The bundled production model, copied next to the program at build time.</summary>
    public static string BundledModelDirectory => Path.Combine(AppContext.BaseDirectory, "models", "bundled");

    public static Option<DirectoryInfo> Model() => new("--model")
    {
        Description = "Model directory (model.json + weights.bin). Default: the bundled production model.",
        DefaultValueFactory = _ => new DirectoryInfo(BundledModelDirectory),
    };

    public static Option<DirectoryInfo> Data(bool required) => new("--data")
    {
        Description = "Data directory holding the image store and its catalogue.",
        Required = required,
        DefaultValueFactory = _ => new DirectoryInfo("data"),
    };
}
