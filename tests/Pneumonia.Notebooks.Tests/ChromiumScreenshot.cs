using System.Diagnostics;
using Pneumonia.Notebooks.Rendering;

namespace Pneumonia.Notebooks.Tests;

/// <summary>
/// Renders a Plotly figure to PNG with Debian's headless Chromium (<c>apt-get install chromium</c>): the figure's
/// HTML, plotly.js embedded, screenshotted at the figure's size. Used only when refreshing the committed outputs.
/// </summary>
internal static class ChromiumScreenshot
{
    public const int Width = 720;
    public const int Height = 480;

    public static async Task<byte[]> RenderAsync(string figureJson, string workDirectory)
    {
        Directory.CreateDirectory(workDirectory);
        var name = Guid.NewGuid().ToString("N");
        var page = Path.Combine(workDirectory, name + ".html");
        var png = Path.Combine(workDirectory, name + ".png");
        await File.WriteAllTextAsync(page,
            $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><script>{ChartRendererHost.Instance.PlotlyJavaScript}</script></head>" +
            $"<body style=\"margin:0\">{new Figure("", figureJson).ToHtml()}</body></html>");
        var start = new ProcessStartInfo("chromium",
            $"--headless --no-sandbox --disable-gpu --disable-background-networking --hide-scrollbars --screenshot={png} --window-size={Width},{Height} file://{page}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || !File.Exists(png))
        {
            throw new InvalidOperationException($"chromium failed ({process.ExitCode}): {await error}");
        }

        return await File.ReadAllBytesAsync(png);
    }
}
