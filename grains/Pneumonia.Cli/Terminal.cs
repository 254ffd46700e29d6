using Spectre.Console;

namespace Pneumonia.Cli;

/// <summary>
/// How the commands talk to a person (Spectre.Console): progress bars on an interactive terminal, tables for results.
/// With <c>--json</c> a command prints only its JSON, and piped or redirected output gets no progress display, so
/// scripts read plain text.
/// </summary>
internal static class Terminal
{
    /// <summary>Whether a live progress display makes sense: a terminal a person watches.</summary>
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>
    /// Runs <paramref name="work"/> with one progress bar of <paramref name="total"/> steps (a counter when the total
    /// is unknown); the work reports the steps done and may change the bar's text.
    /// </summary>
    public static T WithProgress<T>(string description, double? total, Func<Bar, T> work)
    {
        if (!Interactive)
        {
            return work(Bar.None);
        }

        return AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: total ?? 1);
                task.IsIndeterminate = total is null;
                var result = work(new Bar(task));
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });
    }

    /// <inheritdoc cref="WithProgress{T}(string, double?, Func{Bar, T})"/>
    public static async Task<T> WithProgressAsync<T>(string description, double? total, Func<Bar, Task<T>> work)
    {
        if (!Interactive)
        {
            return await work(Bar.None);
        }

        return await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: total ?? 1);
                task.IsIndeterminate = total is null;
                var result = await work(new Bar(task));
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });
    }

    /// <summary>
    /// Prints a table with a header row; cells are plain text. Piped or redirected, it is a Markdown table as wide as
    /// its content (not wrapped at 80 columns).
    /// </summary>
    public static void Table(string? title, string[] headers, IEnumerable<string[]> rows)
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = 1_000;
        }

        var table = new Table().Border(Console.IsOutputRedirected ? TableBorder.Markdown : TableBorder.Rounded);
        if (title is not null)
        {
            table.Title(Markup.Escape(title));
        }

        foreach (var header in headers)
        {
            table.AddColumn(new TableColumn(Markup.Escape(header)));
        }

        foreach (var row in rows)
        {
            table.AddRow([.. row.Select(cell => new Text(cell))]);
        }

        AnsiConsole.Write(table);
    }

    /// <summary>The evaluation figures of one or more splits as one table.</summary>
    public static void Metrics(params (string Split, EvaluationReport Report)[] splits) => Table(
        null,
        ["split", "n", "accuracy", "sensitivity", "specificity", "precision", "F1", "ROC-AUC", "PR-AUC", "Brier", "ECE", "TP", "FP", "TN", "FN"],
        splits.Select(s => new[]
        {
            s.Split, $"{s.Report.Count}", $"{s.Report.Accuracy:0.000}", $"{s.Report.Recall:0.000}", $"{s.Report.Specificity:0.000}",
            $"{s.Report.Precision:0.000}", $"{s.Report.F1:0.000}", $"{s.Report.RocAuc:0.0000}", $"{s.Report.PrAuc:0.000}",
            $"{s.Report.BrierScore:0.000}", $"{s.Report.ExpectedCalibrationError:0.000}", $"{s.Report.ConfusionMatrix.TruePositives}",
            $"{s.Report.ConfusionMatrix.FalsePositives}", $"{s.Report.ConfusionMatrix.TrueNegatives}", $"{s.Report.ConfusionMatrix.FalseNegatives}",
        }));

    /// <summary>One progress bar, or nothing when output is not a terminal.</summary>
    internal sealed class Bar
    {
        public static readonly Bar None = new(null);

        private readonly ProgressTask? _task;

        public Bar(ProgressTask? task) => _task = task;

        public void Set(double done, string? description = null)
        {
            if (_task is null)
            {
                return;
            }

            if (_task.IsIndeterminate && done > _task.MaxValue)
            {
                _task.MaxValue = done;
            }

            _task.Value = done;
            if (description is not null)
            {
                _task.Description = Markup.Escape(description);
            }
        }
    }
}

/// <summary>Reports on the caller's thread, in order (<see cref="Progress{T}"/> would post to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
