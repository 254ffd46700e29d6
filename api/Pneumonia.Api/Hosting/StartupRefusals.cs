using Microsoft.Extensions.Options;

namespace Pneumonia.Api.Hosting;

/// <summary>
/// A server that refuses to start (invalid options: no API key while exposed, a weak key, a bad limit) says why in
/// one line on standard error and exits with <see cref="ExitCode"/>, instead of dying of an unhandled exception
/// (SIGABRT, exit 134) with a stack trace full of source paths. Other unhandled exceptions keep the runtime's
/// behaviour. Hosts that catch the exception themselves (tests) never get here.
/// </summary>
internal static class StartupRefusals
{
    /// <summary>The exit code of a refusal to start (a configuration error, as with command-line usage errors).</summary>
    public const int ExitCode = 2;

    private static int s_registered;

    public static void ExitCleanlyOnRefusal()
    {
        if (Interlocked.Exchange(ref s_registered, 1) == 1)
        {
            return;
        }

        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            if (Describe(e.ExceptionObject as Exception) is { } reason)
            {
                Console.Error.WriteLine(reason);
                Console.Error.Flush();
                Environment.Exit(ExitCode);
            }
        };
    }

    /// <summary>The one line for a refusal, or null when <paramref name="exception"/> is not one.</summary>
    internal static string? Describe(Exception? exception)
    {
        var failures = exception switch
        {
            OptionsValidationException options => options.Failures,
            AggregateException aggregate when aggregate.InnerExceptions.All(inner => inner is OptionsValidationException) =>
                aggregate.InnerExceptions.Cast<OptionsValidationException>().SelectMany(options => options.Failures),
            _ => null,
        };
        if (failures is null)
        {
            return null;
        }

        var text = string.Join(" ", failures.Select(failure => Unwrapped(failure.ReplaceLineEndings(" ").Trim())));
        return text.StartsWith("Refusing to start", StringComparison.Ordinal) ? text : $"Refusing to start: {text}";
    }

    // "DataAnnotation validation failed for 'X' members: 'Y' with the error: 'message'." -> "message"
    private static string Unwrapped(string failure)
    {
        const string Marker = "with the error: '";
        var start = failure.IndexOf(Marker, StringComparison.Ordinal);
        return start < 0 || !failure.EndsWith("'.", StringComparison.Ordinal)
            ? failure
            : failure[(start + Marker.Length)..^2];
    }
}
