namespace Pneumonia.Ml.Data;

/// <summary>
/// Marks a data directory as a server's: its images are catalogued by the server's dataset grain state (in the silo's
/// storage), not by the <c>catalogue.jsonl</c> that <c>pneumonia import</c> writes. Tools that read that catalogue
/// (<c>pneumonia check-store</c>) must not judge, let alone repair, such a directory: every uploaded image would look
/// uncatalogued to them, including the ones a live server is storing at that moment.
/// </summary>
public static class ServerDataDirectory
{
    /// <summary>The marker file's name inside the data directory.</summary>
    public const string MarkerFileName = "SERVER-OWNED";

    private const string CatalogueFileName = "catalogue.jsonl";

    /// <summary>Writes the marker (idempotent); servers call it at start-up.</summary>
    public static void Claim(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var marker = Path.Combine(dataDirectory, MarkerFileName);
        if (!File.Exists(marker))
        {
            File.WriteAllText(marker,
                "This data directory belongs to a PneumoniaOrleans server: its images are catalogued by the server's dataset grain state, "
                + "not by catalogue.jsonl. 'pneumonia check-store' refuses to check or repair it.\n");
        }
    }

    /// <summary>
    /// Why <paramref name="dataDirectory"/> is not a catalogue-owned directory, or null when it is: it carries the
    /// server marker, or it holds images but no catalogue (a server that never claimed it, such as a silo alone).
    /// </summary>
    public static string? NotCatalogueOwned(string dataDirectory)
    {
        if (File.Exists(Path.Combine(dataDirectory, MarkerFileName)))
        {
            return $"it carries the {MarkerFileName} marker of a PneumoniaOrleans server";
        }

        var images = Path.Combine(dataDirectory, "images");
        return !File.Exists(Path.Combine(dataDirectory, CatalogueFileName))
            && Directory.Exists(images)
            && Directory.EnumerateFiles(images, "*", SearchOption.AllDirectories).Any()
                ? $"it holds images but no {CatalogueFileName}, as a server's data directory does"
                : null;
    }
}
