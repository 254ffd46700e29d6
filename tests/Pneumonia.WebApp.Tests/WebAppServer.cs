using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Pneumonia.WebApp.Tests;

/// <summary>
/// The real API (co-hosted silo, real grains) on a real Kestrel port, with a TinyModel as production, a small base
/// data set in the Kaggle layout and an API key; and Debian's chromium, launched once through Playwright. Shared by
/// every test of the collection; each test opens its own browser context (its own sessionStorage).
/// </summary>
public sealed class WebAppServer : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string ApiKey = "webapp-test-key-0123456789";

    /// <summary>The epochs of a job meant to last (the most a request may ask for here, and the patience it inherits).</summary>
    public const int LongJobEpochs = 500;

    /// <summary>Where Playwright finds the browser; Debian's package by default, never a downloaded one.</summary>
    private const string ChromiumVariable = "PNEUMONIA_TEST_CHROMIUM";

    /// <summary>When set, screenshots are also written there (docs/images when refreshing the README's pictures).</summary>
    private const string ScreenshotsVariable = "PNEUMONIA_WEBAPP_SCREENSHOTS";

    private readonly TempDirectory _temp = new();
    private readonly int _port = FreePorts.Next();
    private readonly int _baseImages;
    private IPlaywright? _playwright;

    public WebAppServer()
    {
        // Retrains inherit the card's early-stopping patience (at most 100 epochs), so a 500-epoch job at batch size 1
        // over the 80 training images runs at least 100 epochs, and up to 500, until the test cancels it (100 epochs of
        // the tiny model were once over before the page had shown two).
        TinyModel.Create(_temp.Combine("bundled"), earlyStoppingPatience: 100);
        _baseImages = TestData.CopyKaggleLayout(_temp.Combine("base"), ("train", 40), ("val", 4), ("test", 4));
    }

    public Uri Address => new($"http://127.0.0.1:{_port}/");

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>A REST client with the key, to set up and check what the pages did.</summary>
    public HttpClient Api { get; private set; } = null!;

    public string ScratchDirectory => Directory.CreateDirectory(_temp.Combine("scratch")).FullName;

    public async Task InitializeAsync()
    {
        UseKestrel(_port);
        StartServer();
        Api = new HttpClient { BaseAddress = Address };
        Api.DefaultRequestHeaders.Add("X-API-Key", ApiKey);
        await Wait.UntilHealthyAsync(Api);
        // The base data set is imported in the background at start-up.
        await Wait.UntilAsync(async () => (await GetAsync("dataset/stats")).GetProperty("total_images").GetInt32() == _baseImages,
            TimeSpan.FromSeconds(90), "the base data set to be imported", pollMilliseconds: 100);

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } path ? path : "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-extensions"],
        });
        SetDefaultExpectTimeout(30_000);
    }

    public async Task<JsonElement> GetAsync(string path) => await Api.GetFromJsonAsync<JsonElement>(path);

    public async Task<string> ProductionAsync() => (await GetAsync("models")).GetProperty("production").GetString()!;

    /// <summary>Runs a one-epoch retrain through the REST API to its end and returns the finished job.</summary>
    public async Task<JsonElement> RetrainOnceAsync()
    {
        using var started = await Api.PostAsync("retrain?epochs=1&batch_size=8&fine_tune=false", null);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, started.StatusCode);
        var jobId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("job_id").GetString();
        var job = await Jobs.WaitForEndAsync(Api, jobId!);
        Assert.Equal("completed", job.GetProperty("status").GetString());
        return job;
    }

    /// <summary>Saves a full-page screenshot to the test output (and to PNEUMONIA_WEBAPP_SCREENSHOTS when set).</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folders = new List<string> { Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName };
        if (Environment.GetEnvironmentVariable(ScreenshotsVariable) is { Length: > 0 } extra)
        {
            folders.Add(Directory.CreateDirectory(Path.GetFullPath(extra, TestData.RepositoryRoot)).FullName);
        }

        var bytes = await page.ScreenshotAsync(new PageScreenshotOptions { FullPage = true });
        foreach (var folder in folders)
        {
            await File.WriteAllBytesAsync(Path.Combine(folder, $"webapp-{name}.png"), bytes);
        }
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        Api?.Dispose();
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = TestApiSettings.Create(_temp.Combine("state"), _temp.Combine("data"), _temp.Combine("bundled"), ApiKey);
        settings["Pneumonia:Data:BaseDatasetPath"] = _temp.Combine("base");
        // Cached frozen features would finish these tiny retrains before a page could show them move.
        settings["Pneumonia:Retrain:CacheFrozenFeatures"] = "false";
        settings["Pneumonia:Retrain:MaxEpochs"] = $"{LongJobEpochs}";
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    // The factory is disposed twice (IDisposable and IAsyncDisposable); the folder goes on the first.
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(_temp.Path))
        {
            _temp.Dispose();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class WebAppDefinition : ICollectionFixture<WebAppServer>
{
    public const string Name = "web app";
}
