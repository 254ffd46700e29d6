namespace Pneumonia.WebApp.Tests;

/// <summary>With a key configured, every action that changes something says it needs the key before, and nothing changes without it.</summary>
[Collection(WebAppDefinition.Name)]
public sealed class ApiKeyTests(WebAppServer server)
{
    private static readonly string[] KeyActions = ["#upload-button", "#train-start", "#promote-a", "#rollback"];

    [Fact]
    public async Task Without_the_key_actions_say_so_before_and_nothing_changes_even_when_forced()
    {
        var images = (await server.GetAsync("dataset/stats")).GetProperty("total_images").GetInt32();
        var jobs = (await server.GetAsync("jobs")).GetProperty("count").GetInt32();
        var production = await server.ProductionAsync();
        await using var tab = await BrowserPage.OpenAsync(server, "data", enterKey: false);
        var page = tab.Page;
        await Expect(page.Locator("#key-form")).ToBeVisibleAsync();
        foreach (var action in KeyActions)
        {
            await Expect(page.Locator(action)).ToBeDisabledAsync();
            await Expect(page.Locator($"{action} + .needs-key")).ToHaveTextAsync("Needs the API key (top of the page)");
            Assert.Equal($"{action[1..]}-key", await page.GetAttributeAsync(action, "aria-describedby"));
        }

        // A wrong key is refused at once, and the actions stay off.
        await page.FillAsync("#key-input", "not-the-key-0123456789");
        await page.ClickAsync("#key-form button[type=submit]");
        await Expect(page.Locator("#key-status")).ToContainTextAsync("not this server's API key");
        await Expect(page.Locator("#upload-button")).ToBeDisabledAsync();

        // Forcing the buttons on (as a script could) reaches the server, which refuses; the page says why.
        await page.SetInputFilesAsync("#upload-files", [Files.Xray("train", "NORMAL", 40)]);
        await page.EvalOnSelectorAsync("#upload-button", "b => { b.disabled = false; b.click(); }");
        await Expect(page.Locator("#upload-status")).ToContainTextAsync("requires the X-API-Key header");
        await page.ClickAsync("#tab-train");
        await page.EvalOnSelectorAsync("#train-start", "b => { b.disabled = false; b.click(); }");
        await Expect(page.Locator("#train-status")).ToContainTextAsync("requires the X-API-Key header");
        await page.ClickAsync("#tab-models");
        await Expect(page.Locator("#compare-a option").First).ToBeAttachedAsync();
        await page.EvalOnSelectorAsync("#rollback", "b => { b.disabled = false; b.click(); }");
        await page.ClickAsync("#confirm-ok");
        await Expect(page.Locator("#models-status")).ToContainTextAsync("requires the X-API-Key header");

        Assert.Equal(images, (await server.GetAsync("dataset/stats")).GetProperty("total_images").GetInt32());
        Assert.Equal(jobs, (await server.GetAsync("jobs")).GetProperty("count").GetInt32());
        Assert.Equal(production, await server.ProductionAsync());

        // With the right key the same buttons come on, and the note goes.
        await page.FillAsync("#key-input", WebAppServer.ApiKey);
        await page.ClickAsync("#key-form button[type=submit]");
        await Expect(page.Locator("#key-set")).ToBeVisibleAsync();
        await Expect(page.Locator("#rollback")).ToBeEnabledAsync();
        await Expect(page.Locator(".needs-key")).ToHaveCountAsync(0);
        Assert.Equal(WebAppServer.ApiKey, await page.EvaluateAsync<string>("() => sessionStorage.getItem('pneumonia.apiKey')"));
        Assert.Null(await page.EvaluateAsync<string?>("() => localStorage.length ? 'localStorage used' : null"));
        tab.AssertNoConsoleErrors(401, 403);
    }
}
