namespace Pneumonia.WebApp.Tests;

/// <summary>Data: a labelled zip upload and its report; the data set's charts.</summary>
[Collection(WebAppDefinition.Name)]
public sealed class DataPageTests(WebAppServer server)
{
    [Fact]
    public async Task A_zip_with_label_folders_is_uploaded_and_the_report_lists_what_was_added_and_what_was_rejected_why()
    {
        await using var tab = await BrowserPage.OpenAsync(server, "data");
        var page = tab.Page;
        var before = (await server.GetAsync("dataset/stats")).GetProperty("total_images").GetInt32();
        await Expect(page.Locator("#data-facts")).ToContainTextAsync($"{before}");
        var normal = Files.Xray("train", "NORMAL", 50);
        var pneumonia = Files.Xray("train", "PNEUMONIA", 50);
        var zip = Files.Zip("labelled.zip",
            ("NORMAL/" + normal.Name, normal.Buffer),
            ("PNEUMONIA/" + pneumonia.Name, pneumonia.Buffer),
            ("PNEUMONIA/broken.jpeg", pneumonia.Buffer[..(pneumonia.Buffer.Length / 3)]),
            ("notes.jpeg", "not an image"u8.ToArray()));

        await page.SetInputFilesAsync("#upload-files", [zip]);
        await page.ClickAsync("#upload-button");

        var report = page.Locator("#upload-report-panel");
        await Expect(report).ToBeVisibleAsync();
        await Expect(report.Locator("dl div", new LocatorLocatorOptions { HasText = "Added as NORMAL" })).ToContainTextAsync("1");
        await Expect(report.Locator("dl div", new LocatorLocatorOptions { HasText = "Added as PNEUMONIA" })).ToContainTextAsync("1");
        await Expect(report.Locator("dl div", new LocatorLocatorOptions { HasText = "Rejected" })).ToContainTextAsync("2");
        var rejected = report.Locator("table:has(caption) tr", new LocatorLocatorOptions { HasText = "broken.jpeg" });
        await Expect(rejected).ToHaveCountAsync(1);
        Assert.False(string.IsNullOrWhiteSpace(await rejected.Locator("td").Nth(1).TextContentAsync()));
        await Expect(report.Locator("table:has(caption) tr", new LocatorLocatorOptions { HasText = "notes.jpeg" })).ToHaveCountAsync(1);

        // The counts and the charts follow the upload.
        Assert.Equal(before + 2, (await server.GetAsync("dataset/stats")).GetProperty("total_images").GetInt32());
        await Expect(page.Locator("#data-facts")).ToContainTextAsync($"{before + 2}");
        await Expect(page.Locator("#chart-classes .main-svg").First).ToBeVisibleAsync();
        await Expect(page.Locator("#chart-batches .main-svg").First).ToBeVisibleAsync();
        await Expect(page.Locator("#chart-sizes .main-svg").First).ToBeVisibleAsync();
        await WebAppServer.ScreenshotAsync(page, "data");
        tab.AssertNoConsoleErrors();
    }
}
