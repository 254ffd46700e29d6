#:project Pneumonia.Notebooks/Pneumonia.Notebooks.csproj
// Orleans needs dynamic code (generic codecs for value types): file-based apps default to native AOT, which forbids it.
#:property PublishAot=false
// The same flow as retraining.ipynb, for when the notebook stack is not at hand (Polyglot Notebooks is deprecated
// upstream): `dotnet run notebooks/retraining.cs` writes the same charts and tables to one HTML page.
using Pneumonia.Abstractions;
using Pneumonia.Notebooks;
using Pneumonia.Notebooks.Views;

await using var session = await NotebookSession.ConnectAsync(args);
var report = new HtmlReport("3. Retraining experiments");
var experiments = new Experiments(session);
report.Heading("Uploaded batches").Add(Experiments.UploadTable(await experiments.UploadLabelledBatchesAsync(perLabel: 8)));
RetrainRequest[] settings = [new(Epochs: 1, BatchSize: 8, FineTune: false), new(Epochs: 1, BatchSize: 16, FineTune: true)];
var jobs = new List<TrainingJobInfo>();
foreach (var request in settings)
{
    var last = "";
    jobs.Add(await experiments.RunAsync(request, view => Console.WriteLine(last = view.ToHtml())));
    report.Heading($"Job {jobs[^1].JobId}").Add(new Pneumonia.Notebooks.Rendering.HtmlView(last));
}

var cards = await experiments.CardsAsync(jobs);
report.Heading("Versions").Add(ModelViews.MetricsTable(cards))
    .Heading("Training curves").Add(ModelViews.TrainingCurves(cards))
    .Heading("ROC curves").Add(ModelViews.RocCurves(cards))
    .Heading("Confusion matrices").Add(ModelViews.ConfusionMatrices(cards))
    .Heading("Calibration").Add(ModelViews.CalibrationCurves(cards))
    .Heading("Promote").Add(Experiments.Decision(await session.Registry.PromoteAsync(cards[^1].Version, force: true, reason: "file-based app experiment")))
    .Heading("Roll back").Add(Experiments.Decision(await session.Registry.RollbackAsync("file-based app: back to the previous model")));
Console.WriteLine(report.Save(NotebookSession.Resolve(session.Options.OutputDirectory, "OutputDirectory"), "retraining.html"));
