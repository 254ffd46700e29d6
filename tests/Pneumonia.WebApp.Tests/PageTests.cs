using System.Text.Json;
using Xunit.Abstractions;

namespace Pneumonia.WebApp.Tests;

/// <summary>Every page renders from the app's own files without console errors, is keyboard-navigable and labels its controls.</summary>
[Collection(WebAppDefinition.Name)]
public sealed class PageTests(WebAppServer server, ITestOutputHelper output)
{
    /// <summary>What the first page may weigh (decoded bytes of the document, styles and modules, no chart library).</summary>
    private const int FirstLoadBudgetBytes = 150_000;

    [Fact]
    public async Task The_first_load_fetches_only_the_apps_small_files_and_leaves_plotly_for_the_first_chart()
    {
        await using var tab = await BrowserPage.OpenAsync(server, "predict", enterKey: false);
        var page = tab.Page;
        await page.WaitForLoadStateAsync(LoadState.Load);
        var measured = await page.EvaluateAsync<JsonElement>("""
            () => {
              const nav = performance.getEntriesByType('navigation')[0];
              const files = [nav, ...performance.getEntriesByType('resource')];
              return { bytes: files.reduce((n, r) => n + r.decodedBodySize, 0), requests: files.length,
                       names: files.map(r => new URL(r.name).pathname), load: nav.loadEventEnd };
            }
            """);
        var names = measured.GetProperty("names").EnumerateArray().Select(n => n.GetString()!).ToList();
        // Reported, not asserted: load time depends on the machine; the weight does not.
        output.WriteLine($"first load: {measured.GetProperty("bytes").GetInt32():N0} bytes in {measured.GetProperty("requests").GetInt32()} requests, load event at {measured.GetProperty("load").GetDouble():F0} ms: {string.Join(' ', names)}");
        Assert.DoesNotContain(names, n => n.Contains("plotly", StringComparison.Ordinal));
        Assert.InRange(measured.GetProperty("bytes").GetInt32(), 1, FirstLoadBudgetBytes);

        var plotly = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#tab-data"), r => r.Url.EndsWith("vendor/plotly-2.28.0.min.js", StringComparison.Ordinal));
        Assert.Equal(200, plotly.Status);
        await Expect(page.Locator("#chart-classes .main-svg").First).ToBeVisibleAsync();
        tab.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Every_page_renders_its_content_with_no_console_error_and_no_request_leaves_the_server()
    {
        await using var tab = await BrowserPage.OpenAsync(server, "predict");
        var page = tab.Page;
        var foreign = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(server.Address.ToString(), StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal))
            {
                foreign.Add(request.Url);
            }
        };

        await Expect(page.Locator("header")).ToContainTextAsync("Not a medical device");
        await page.ClickAsync("#tab-data");
        await Expect(page.Locator("#chart-classes .main-svg").First).ToBeVisibleAsync();
        await page.ClickAsync("#tab-train");
        await Expect(page.Locator("#train-jobs")).Not.ToBeEmptyAsync();
        await page.ClickAsync("#tab-models");
        await Expect(page.Locator("#chart-roc .main-svg").First).ToBeVisibleAsync();
        // Charts and gauges are images to a screen reader: each has a name.
        await Expect(page.Locator("[role=img]")).Not.ToHaveCountAsync(0);
        await Expect(page.Locator("[role=img]:not([aria-label])")).ToHaveCountAsync(0);
        await page.ClickAsync("#tab-system");
        await Expect(page.Locator("#system-ready")).ToContainTextAsync("Ready");
        await Expect(page.Locator("#system-health")).ToContainTextAsync(await server.ProductionAsync());
        await Expect(page.Locator("#system-silos tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#system-silos")).ToContainTextAsync("active");
        await Expect(page.Locator("a[href='dashboard/']")).ToBeVisibleAsync();
        await WebAppServer.ScreenshotAsync(page, "system");

        Assert.Empty(foreign);
        tab.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Tabs_work_from_the_keyboard_and_every_control_has_a_label()
    {
        await using var tab = await BrowserPage.OpenAsync(server, "predict", enterKey: false);
        var page = tab.Page;
        await page.FocusAsync("#tab-predict");
        await page.Keyboard.PressAsync("ArrowRight");
        await Expect(page.Locator("#tab-data")).ToHaveAttributeAsync("aria-selected", "true");
        await Expect(page.Locator("#tab-data")).ToBeFocusedAsync();
        await Expect(page.Locator("#page-data")).ToBeVisibleAsync();
        await Expect(page.Locator("#page-predict")).ToBeHiddenAsync();
        await page.Keyboard.PressAsync("End");
        await Expect(page.Locator("#page-system")).ToBeVisibleAsync();
        Assert.EndsWith("#system", page.Url, StringComparison.Ordinal);

        foreach (var name in new[] { "predict", "data", "train", "models", "system" })
        {
            await page.ClickAsync($"#tab-{name}");
            var unlabelled = await page.EvaluateAsync<string[]>(
                "() => [...document.querySelectorAll('input, select')].filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.id || e.outerHTML)");
            Assert.Empty(unlabelled);
        }

        tab.AssertNoConsoleErrors();
    }
}
