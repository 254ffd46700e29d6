#:project Pneumonia.Notebooks/Pneumonia.Notebooks.csproj
// Orleans needs dynamic code (generic codecs for value types): file-based apps default to native AOT, which forbids it.
#:property PublishAot=false
// The same flow as retraining.ipynb, for when the notebook stack is not at hand (Polyglot Notebooks is deprecated
// upstream): `dotnet run notebooks/retraining.cs` writes the same charts and tables to one HTML page.
using Pneumonia.Abstractions;
using Pneumonia.Notebooks;
using Pneumonia.Notebooks.Rendering;
using Pneumonia.Notebooks.Views;

await using var session = await NotebookSession.ConnectAsync(args);
var report = new HtmlReport("3. Retraining experiments");
var experiments = new Experiments(session);
report.Heading("Uploaded batches").Add(Experiments.UploadTable(await experiments.UploadLabelledBatchesAsync(perLabel: 8)));
// Promote: false trains, registers and judges each candidate; production is left alone.
RetrainRequest[] settings = [new(Epochs: 1, BatchSize: 8, FineTune: false, Promote: false), new(Epochs: 1, BatchSize: 16, FineTune: true, Promote: false)];
var jobs = new List<TrainingJobInfo>();
foreach (var request in settings)
{
    var last = "";
    jobs.Add(await experiments.RunAsync(request, view => Console.WriteLine(last = view.ToHtml())));
    report.Heading($"Job {jobs[^1].JobId}").Add(new HtmlView(last));
}

var cards = await experiments.CardsAsync(jobs);
report.Heading("Versions").Add(ModelViews.MetricsTable(cards))
    .Heading("Training curves").Add(ModelViews.TrainingCurves(cards))
    .Heading("ROC curves").Add(ModelViews.RocCurves(cards))
    .Heading("Confusion matrices").Add(ModelViews.ConfusionMatrices(cards))
    .Heading("Calibration").Add(ModelViews.CalibrationCurves(cards))
    .Heading("The promotion gate").Add(Experiments.GateTable(jobs));
// Production changes only when asked: `dotnet run notebooks/retraining.cs -- --promote <version>` (through the gate).
var promote = Array.IndexOf(args, "--promote") is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
report.Heading("Promotion").Add(promote is null
    ? HtmlView.Message("Production unchanged: run with --promote <version> to promote a candidate through the gate.")
    : Experiments.Decision(await experiments.PromoteAsync(promote, force: false, reason: "file-based app")));
Console.WriteLine(report.Save(NotebookSession.Resolve(session.Options.OutputDirectory, "OutputDirectory"), "retraining.html"));
