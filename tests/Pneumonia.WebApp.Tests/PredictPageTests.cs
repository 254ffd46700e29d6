namespace Pneumonia.WebApp.Tests;

/// <summary>Predict: one file through /predict with its heatmap; several (and a zip) through /predict/batch.</summary>
[Collection(WebAppDefinition.Name)]
public sealed class PredictPageTests(WebAppServer server)
{
    [Fact]
    public async Task One_xray_shows_label_probability_against_the_threshold_model_version_and_a_blendable_heatmap()
    {
        await using var tab = await BrowserPage.OpenAsync(server, "predict");
        var page = tab.Page;
        var production = await server.ProductionAsync();

        await page.SetInputFilesAsync("#predict-files", [Files.Xray("test", "PNEUMONIA", 3)]);

        var card = page.Locator(".card[data-status=ok]");
        await Expect(card).ToHaveCountAsync(1);
        await Expect(card.Locator(".label")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(NORMAL|PNEUMONIA)$"));
        await Expect(card).ToContainTextAsync("probability of pneumonia");
        await Expect(card).ToContainTextAsync("The threshold is");
        await Expect(card).ToContainTextAsync($"Model {production}");
        var heatmap = card.Locator("img.heatmap");
        await Expect(heatmap).ToBeHiddenAsync();
        Assert.StartsWith("data:image/png;base64,", await heatmap.GetAttributeAsync("src"), StringComparison.Ordinal);

        await card.GetByLabel("Show heatmap").CheckAsync();
        await Expect(heatmap).ToBeVisibleAsync();
        await card.GetByLabel("Blend").FillAsync("30");
        await Expect(heatmap).ToHaveCSSAsync("opacity", "0.3");
        tab.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Several_files_and_a_zip_go_through_the_batch_endpoint_and_a_rejected_file_shows_its_reason()
    {
        await using var tab = await BrowserPage.OpenAsync(server, "predict");
        var page = tab.Page;
        var zipped = Files.Zip("more.zip",
            ("NORMAL/" + Files.Xray("test", "NORMAL", 6).Name, Files.Xray("test", "NORMAL", 6).Buffer),
            ("PNEUMONIA/" + Files.Xray("test", "PNEUMONIA", 6).Name, Files.Xray("test", "PNEUMONIA", 6).Buffer),
            ("readme.txt", "not an image"u8.ToArray()));

        var request = await page.RunAndWaitForRequestAsync(
            () => page.SetInputFilesAsync("#predict-files", [Files.Xray("test", "NORMAL", 5), Files.Xray("test", "PNEUMONIA", 5), Files.NotAnImage("notes.jpeg"), zipped]),
            r => r.Url.EndsWith("/predict/batch", StringComparison.Ordinal));

        Assert.Equal("POST", request.Method);
        await Expect(page.Locator(".card[data-status=ok]")).ToHaveCountAsync(4);
        var rejected = page.Locator(".card.error", new PageLocatorOptions { HasText = "notes.jpeg" });
        await Expect(rejected).ToContainTextAsync("not a JPEG or PNG");
        await Expect(rejected).ToContainTextAsync("NotAnImage");
        await Expect(page.Locator(".card.error", new PageLocatorOptions { HasText = "readme.txt" })).ToContainTextAsync("not a .jpg, .jpeg or .png");
        await Expect(page.Locator("#predict-status")).ToContainTextAsync("4 images checked");

        // A batch answer has no heatmap: the card asks for it when the person wants to see it.
        var first = page.Locator(".card[data-status=ok]").First;
        var heatmapRequest = await page.RunAndWaitForRequestAsync(
            () => first.GetByLabel("Show heatmap").CheckAsync(), r => r.Url.Contains("/predict?heatmap=true", StringComparison.Ordinal));
        Assert.NotNull(heatmapRequest);
        await Expect(first.Locator("img.heatmap")).ToBeVisibleAsync();
        await Expect(first.Locator("img.heatmap")).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("^data:image/png;base64,"));
        await WebAppServer.ScreenshotAsync(page, "predict");
        tab.AssertNoConsoleErrors();
    }
}
