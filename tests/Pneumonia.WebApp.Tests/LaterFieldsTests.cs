using System.Text.Json.Nodes;

namespace Pneumonia.WebApp.Tests;

/// <summary>
/// Fields the API will carry later (an out-of-distribution flag on predictions, the rewritten gate's figures on
/// jobs, flagged labels on uploads) appear without a page change. The browser gets the server's real answer with
/// such fields added on the way (Playwright routing), since this server does not send them yet.
/// </summary>
[Collection(WebAppDefinition.Name)]
public sealed class LaterFieldsTests(WebAppServer server)
{
    [Fact]
    public async Task An_out_of_distribution_flag_a_new_gate_figure_and_flagged_labels_are_shown()
    {
        await using var tab = await BrowserPage.OpenAsync(server, "predict");
        var page = tab.Page;
        await AddFieldsAsync(page, "**/predict?heatmap=true", json =>
        {
            json["out_of_distribution"] = true;
            json["ood_score"] = 0.93;
        });
        await page.SetInputFilesAsync("#predict-files", [Files.Xray("test", "NORMAL", 7)]);
        var card = page.Locator(".card[data-status=ok]");
        await Expect(card.Locator("[data-ood]")).ToContainTextAsync("does not look like the chest X-rays");
        await Expect(card.Locator(".extras")).ToContainTextAsync("Ood score");
        await Expect(card.Locator(".extras")).ToContainTextAsync("0.9300");

        // A finished job with the gate's future figures, as the Train page shows the latest job.
        if ((await server.GetAsync("retrain-progress")).GetProperty("status").GetString() is "idle" or "running")
        {
            await server.RetrainOnceAsync();
        }

        await AddFieldsAsync(page, "**/retrain-progress", json =>
            json["gate"] = new JsonObject { ["decision"] = "not enough evidence", ["minimum_sample"] = 200, ["auc_difference_ci"] = new JsonArray(-0.04, 0.02) });
        await page.ClickAsync("#tab-train");
        var decision = page.Locator("#train-decision-panel");
        await Expect(decision.Locator(".extras")).ToContainTextAsync("not enough evidence");
        await Expect(decision.Locator(".extras")).ToContainTextAsync("Minimum sample");

        await AddFieldsAsync(page, "**/upload", json =>
            json["flagged_labels"] = new JsonArray(new JsonObject { ["name"] = "NORMAL/x.jpeg", ["label"] = "NORMAL", ["reason"] = "the model is 99% sure it is PNEUMONIA" }));
        await page.ClickAsync("#tab-data");
        await page.SetInputFilesAsync("#upload-files", [Files.Xray("train", "NORMAL", 41)]);
        await page.ClickAsync("input[name=label][value=NORMAL]");
        await page.ClickAsync("#upload-button");
        var report = page.Locator("#upload-report-panel");
        await Expect(report.Locator(".extras")).ToContainTextAsync("Flagged labels");
        await Expect(report.Locator(".extras table")).ToContainTextAsync("the model is 99% sure it is PNEUMONIA");
        tab.AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Files_dropped_on_the_drop_zone_are_predicted()
    {
        await using var tab = await BrowserPage.OpenAsync(server, "predict", enterKey: false);
        var page = tab.Page;
        var images = new[] { Files.Xray("test", "NORMAL", 8), Files.Xray("test", "PNEUMONIA", 8) };
        var transfer = await page.EvaluateHandleAsync(
            "files => { const t = new DataTransfer(); for (const f of files) t.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: 'image/jpeg' })); return t; }",
            images.Select(i => new { name = i.Name, bytes = i.Buffer.Select(b => (int)b).ToArray() }).ToArray());
        await page.DispatchEventAsync("#predict-drop", "drop", new { dataTransfer = transfer });
        await Expect(page.Locator(".card[data-status=ok]")).ToHaveCountAsync(2);
        await Expect(page.Locator(".card h3")).ToHaveTextAsync([images[0].Name, images[1].Name]);
        tab.AssertNoConsoleErrors();
    }

    /// <summary>Lets the request reach the server and adds fields to its JSON answer on the way back.</summary>
    private static async Task AddFieldsAsync(IPage page, string url, Action<JsonObject> add) =>
        await page.RouteAsync(url, async route =>
        {
            var response = await route.FetchAsync();
            var json = JsonNode.Parse(await response.TextAsync())!.AsObject();
            add(json);
            await route.FulfillAsync(new RouteFulfillOptions { Response = response, Body = json.ToJsonString() });
        });
}
