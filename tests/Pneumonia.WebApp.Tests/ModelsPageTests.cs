namespace Pneumonia.WebApp.Tests;

/// <summary>Models: versions, comparison charts from the cards, promote and roll back, each behind a confirmation.</summary>
[Collection(WebAppDefinition.Name)]
public sealed class ModelsPageTests(WebAppServer server)
{
    [Fact]
    public async Task Promote_and_roll_back_ask_for_confirmation_and_change_production()
    {
        var candidate = await SecondVersionAsync();
        var production = await server.ProductionAsync();
        await using var tab = await BrowserPage.OpenAsync(server, "models");
        var page = tab.Page;
        await Expect(page.Locator("#models-table tr", new PageLocatorOptions { HasText = production }).Locator("[data-production]")).ToHaveCountAsync(1);
        await page.SelectOptionAsync("#compare-a", candidate);
        await page.SelectOptionAsync("#compare-b", production);
        await Expect(page.Locator("#compare-table th", new PageLocatorOptions { HasText = $"B: {production}" })).ToHaveCountAsync(1);
        foreach (var chart in new[] { "#chart-roc", "#chart-pr", "#chart-cal" })
        {
            await Expect(page.Locator($"{chart} .main-svg").First).ToBeVisibleAsync();
        }

        await Expect(page.Locator("#confusion .card")).ToHaveCountAsync(2);
        await WebAppServer.ScreenshotAsync(page, "models");

        // Saying no changes nothing.
        await page.ClickAsync("#promote-a");
        await Expect(page.Locator("#confirm")).ToBeVisibleAsync();
        await page.ClickAsync("#confirm-cancel");
        await Expect(page.Locator("#confirm")).ToBeHiddenAsync();
        Assert.Equal(production, await server.ProductionAsync());

        // Yes, and again yes if the gate refuses (forcing is recorded).
        await page.ClickAsync("#promote-a");
        await page.ClickAsync("#confirm-ok");
        await page.WaitForFunctionAsync("() => document.querySelector('#confirm').open || document.querySelector('#models-status').textContent.includes('production now')");
        if (await page.Locator("#confirm").IsVisibleAsync())
        {
            await Expect(page.Locator("#confirm-text")).ToContainTextAsync("refused");
            await page.ClickAsync("#confirm-ok");
        }

        await Expect(page.Locator("#models-status")).ToContainTextAsync($"{candidate} is production now");
        Assert.Equal(candidate, await server.ProductionAsync());
        await Expect(page.Locator("#models-table tr", new PageLocatorOptions { HasText = candidate }).Locator("[data-production]")).ToHaveCountAsync(1);
        await Expect(page.Locator("#models-history tr", new PageLocatorOptions { HasText = candidate })).Not.ToHaveCountAsync(0);

        await page.ClickAsync("#rollback");
        await Expect(page.Locator("#confirm-text")).ToContainTextAsync(candidate);
        await page.ClickAsync("#confirm-ok");
        await Expect(page.Locator("#models-status")).ToContainTextAsync($"Rolled back: {production} is production again");
        Assert.Equal(production, await server.ProductionAsync());
        // A refusal by the gate is a 409 the page handles; nothing else may go wrong.
        tab.AssertNoConsoleErrors(409);
    }

    /// <summary>A version besides production: made by a one-epoch retrain through the REST API when there is none yet.</summary>
    private async Task<string> SecondVersionAsync()
    {
        var production = await server.ProductionAsync();
        var other = (await server.GetAsync("models")).GetProperty("models").EnumerateArray()
            .Select(m => m.GetProperty("version").GetString()!).FirstOrDefault(v => v != production);
        if (other is not null)
        {
            return other;
        }

        var job = await server.RetrainOnceAsync();
        // Whichever version is not production now (the new one, or the old one if the new one was promoted).
        var now = await server.ProductionAsync();
        return now == production ? job.GetProperty("result_version").GetString()! : production;
    }
}
