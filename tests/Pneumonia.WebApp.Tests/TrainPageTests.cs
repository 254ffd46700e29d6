namespace Pneumonia.WebApp.Tests;

/// <summary>
/// Train: live progress pushed by the server, cancel, and the gate's decision. The first job is made to last
/// (100 epochs at batch size 1) and is cancelled once the page has shown its progress move; the second (one epoch) runs to its end.
/// </summary>
[Collection(WebAppDefinition.Name)]
public sealed class TrainPageTests(WebAppServer server)
{
    [Fact]
    public async Task Progress_moves_live_cancel_stops_the_job_and_a_finished_job_shows_the_gate_decision()
    {
        await using var tab = await BrowserPage.OpenAsync(server, "train");
        var page = tab.Page;
        var production = await server.ProductionAsync();

        await StartAsync(page, epochs: WebAppServer.LongJobEpochs, batchSize: 1);
        var panel = page.Locator("#train-progress[data-status=running]");
        await Expect(panel).ToBeVisibleAsync();
        var first = await page.WaitForFunctionAsync(
            "() => { const v = document.querySelector('#train-overall').value; return document.querySelector('#train-progress').dataset.status === 'running' && v > 0 && v; }");
        var moved = await first.JsonValueAsync<double>();
        await page.WaitForFunctionAsync(
            "v => document.querySelector('#train-progress').dataset.status === 'running' && document.querySelector('#train-overall').value > v", moved);
        await Expect(page.Locator("#train-facts")).ToContainTextAsync("training");
        await Expect(page.Locator("#chart-loss .main-svg").First).ToBeVisibleAsync();
        // Two finished epochs, so that the curves the page draws have something to show.
        await page.WaitForFunctionAsync("() => Number(document.querySelector('#train-progress').dataset.epochsDone) >= 2");
        await Expect(page.Locator("#train-progress")).ToHaveAttributeAsync("data-status", "running");
        await WebAppServer.ScreenshotAsync(page, "train-running");

        await page.ClickAsync("#train-cancel");
        var cancelled = page.Locator("#train-decision-panel[data-status=cancelled]");
        await Expect(cancelled).ToContainTextAsync("production is unchanged");
        Assert.Equal(production, await server.ProductionAsync());

        await StartAsync(page, epochs: 1, batchSize: 8);
        var decision = page.Locator("#train-decision-panel[data-status=completed]");
        await Expect(decision).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 120_000 });
        var job = (await server.GetAsync("retrain-progress"));
        var reason = job.GetProperty("promotion_reason").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(reason));
        await Expect(decision.Locator("#train-reason")).ToContainTextAsync(reason);
        await Expect(decision).ToContainTextAsync(job.GetProperty("result_version").GetString()!);
        await Expect(decision).ToContainTextAsync(job.GetProperty("promoted").GetBoolean() ? "is now production" : "did not replace production");
        await Expect(page.Locator("#train-jobs tr", new PageLocatorOptions { HasText = job.GetProperty("job_id").GetString()! })).ToHaveCountAsync(1);
        await Expect(page.Locator("#chart-val .main-svg").First).ToBeVisibleAsync();
        await WebAppServer.ScreenshotAsync(page, "train");
        tab.AssertNoConsoleErrors();
    }

    private static async Task StartAsync(IPage page, int epochs, int batchSize)
    {
        await Expect(page.Locator("#train-start")).ToBeEnabledAsync();
        var previous = await page.EvalOnSelectorAsync<string?>("#train-progress", "p => p.dataset.jobId ?? null");
        await page.FillAsync("#train-epochs", $"{epochs}");
        await page.FillAsync("#train-batch", $"{batchSize}");
        await page.ClickAsync("#train-start");
        // The page follows the new job as soon as the server accepted it.
        await page.WaitForFunctionAsync("previous => { const id = document.querySelector('#train-progress').dataset.jobId; return id && id !== previous; }", previous);
    }
}
