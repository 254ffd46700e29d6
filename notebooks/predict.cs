#:project Pneumonia.Notebooks/Pneumonia.Notebooks.csproj
// Orleans needs dynamic code (generic codecs for value types): file-based apps default to native AOT, which forbids it.
#:property PublishAot=false
// The same flow as predict.ipynb, for when the notebook stack is not at hand (Polyglot Notebooks is deprecated
// upstream): `dotnet run notebooks/predict.cs` writes the same charts and tables to one HTML page.
using Pneumonia.Notebooks;
using Pneumonia.Notebooks.Views;

await using var session = await NotebookSession.ConnectAsync(args);
var report = new HtmlReport("2. Predict");
var files = session.SampleImages(perLabel: 1);
var predictions = new Predictions(session);
var viaGrains = await predictions.ViaGrainsAsync(files);
var viaApi = await predictions.ViaApiAsync(files);
var batch = await predictions.BatchViaGrainAsync(session.SampleImages(perLabel: 4));
report.Heading("Through grain calls").Add(PredictionViews.Cards(viaGrains))
    .Heading("Through the REST API").Add(PredictionViews.Cards(viaApi))
    .Heading("Probability against the threshold").Add(PredictionViews.ProbabilityChart([.. viaGrains, .. viaApi]))
    .Heading("A small batch").Add(PredictionViews.BatchTable(batch));
Console.WriteLine(report.Save(NotebookSession.Resolve(session.Options.OutputDirectory, "OutputDirectory"), "predict.html"));
