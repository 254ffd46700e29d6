using System.CommandLine;
using Pneumonia.Ml.Data;
using Pneumonia.Ml.Images;

namespace Pneumonia.Cli;

internal static class ImportCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "A folder or .zip in the Kaggle layout split/LABEL/image (e.g. ../shared/data/chest_xray)." };
        var data = CommonOptions.Data(required: false);
        var name = new Option<string>("--source-name") { Description = "Name recorded as each image's source.", DefaultValueFactory = _ => "kermany" };
        var command = new Command("import", "Import a labelled X-ray dataset into the data directory's image store (idempotent).") { source, data, name };
        command.SetAction((parse, cancel) => RunAsync(parse.GetValue(source)!, parse.GetValue(data)!, parse.GetValue(name)!, cancel));
        return command;
    }

    internal static async Task<ImportReport> ImportAsync(string source, DataDirectory data, string sourceName, CancellationToken cancellationToken)
    {
        var catalogue = data.LoadCatalogue();
        var importer = new KaggleDatasetImporter(data.Store, catalogue, new XrayImageDecoder(new ImageLimits()), TimeProvider.System);
        // The number of files is known only once read: the bar counts them.
        var report = await Terminal.WithProgressAsync($"importing {Path.GetFileName(Path.TrimEndingDirectorySeparator(source))}", null, bar =>
            importer.ImportAsync(source, sourceName, new SynchronousProgress<int>(read => bar.Set(read, $"importing: {read:N0} files read")), cancellationToken));
        Terminal.Table(null, ["accepted", "duplicates", "rejected", "seconds"],
            [[$"{report.Accepted:N0}", $"{report.Duplicates.Count:N0}", $"{report.Rejected.Count:N0}", $"{report.Elapsed.TotalSeconds:0.0}"]]);
        return report;
    }

    private static async Task<int> RunAsync(string source, DirectoryInfo dataRoot, string sourceName, CancellationToken cancellationToken)
    {
        var data = new DataDirectory(dataRoot.FullName);
        var report = await ImportAsync(source, data, sourceName, cancellationToken);
        foreach (var rejected in report.Rejected) Console.WriteLine($"  rejected {rejected.Name}: {rejected.Reason}");
        Console.WriteLine($"catalogue: {data.CataloguePath}");
        return 0;
    }
}
