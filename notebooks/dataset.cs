#:project Pneumonia.Notebooks/Pneumonia.Notebooks.csproj
// Orleans needs dynamic code (generic codecs for value types): file-based apps default to native AOT, which forbids it.
#:property PublishAot=false
// The same flow as dataset.ipynb, for when the notebook stack is not at hand (Polyglot Notebooks is deprecated
// upstream): `dotnet run notebooks/dataset.cs` writes the same charts and tables to one HTML page.
using Pneumonia.Abstractions;
using Pneumonia.Notebooks;
using Pneumonia.Notebooks.Views;

await using var session = await NotebookSession.ConnectAsync(args);
var report = new HtmlReport("1. The dataset");
var stats = await session.Dataset.GetStatisticsAsync();
var images = await session.Dataset.ReadLabelledImagesAsync();
var samples = await session.RequireApi().GetSamplesAsync();
report.Heading("Counts per split and label").Add(DatasetViews.CountsTable(stats))
    .Heading("Class balance per split").Add(DatasetViews.ClassBalancePerSplit(stats))
    .Heading("Class balance per source").Add(DatasetViews.ClassBalancePerSource(images))
    .Heading("Image sizes").Add(DatasetViews.ImageSizes(images))
    .Heading("Sample images per class").Add(DatasetViews.SampleGrid(samples))
    .Heading("Pixel intensities").Add(DatasetViews.PixelIntensities(samples))
    .Heading("Upload history").Add(DatasetViews.UploadHistory(stats));
Console.WriteLine(report.Save(NotebookSession.Resolve(session.Options.OutputDirectory, "OutputDirectory"), "dataset.html"));
