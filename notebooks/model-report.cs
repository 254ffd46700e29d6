#:project Pneumonia.Notebooks/Pneumonia.Notebooks.csproj
// Orleans needs dynamic code (generic codecs for value types): file-based apps default to native AOT, which forbids it.
#:property PublishAot=false
// The same flow as model-report.ipynb, for when the notebook stack is not at hand (Polyglot Notebooks is deprecated
// upstream): `dotnet run notebooks/model-report.cs` writes the same charts and tables to one HTML page.
using Pneumonia.Notebooks;
using Pneumonia.Notebooks.Views;

await using var session = await NotebookSession.ConnectAsync(args);
var report = new HtmlReport("4. Model report");
var card = await new Experiments(session).ProductionCardAsync();
report.Heading("Model card").Add(ModelViews.Card(card))
    .Heading("Metrics").Add(ModelViews.MetricsTable([card], card.Version))
    .Heading("Training curves").Add(ModelViews.TrainingCurves([card]))
    .Heading("ROC curve").Add(ModelViews.RocCurves([card]))
    .Heading("Confusion matrix").Add(ModelViews.ConfusionMatrix(card))
    .Heading("Calibration").Add(ModelViews.CalibrationCurves([card]))
    .Heading("Version history").Add(ModelViews.VersionHistory(await session.Registry.ListAsync(), await session.Registry.GetHistoryAsync(), await session.Registry.GetProductionAsync()));
Console.WriteLine(report.Save(NotebookSession.Resolve(session.Options.OutputDirectory, "OutputDirectory"), "model-report.html"));
