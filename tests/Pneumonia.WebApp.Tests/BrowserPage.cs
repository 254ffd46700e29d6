namespace Pneumonia.WebApp.Tests;

/// <summary>
/// One browser tab in a fresh context (so sessionStorage starts empty) on a page of the app, collecting every console
/// error and uncaught exception; <see cref="AssertNoConsoleErrors"/> fails the test on any of them.
/// </summary>
public sealed class BrowserPage : IAsyncDisposable
{
    private readonly IBrowserContext _context;
    private readonly List<string> _errors = [];

    private BrowserPage(IBrowserContext context, IPage page)
    {
        _context = context;
        Page = page;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (_errors)
                {
                    _errors.Add(message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_errors)
            {
                _errors.Add($"uncaught: {error}");
            }
        };
    }

    public IPage Page { get; }

    /// <summary>Opens <c>/#page</c>; with <paramref name="enterKey"/> types the API key into the page's key form first.</summary>
    public static async Task<BrowserPage> OpenAsync(WebAppServer server, string page, bool enterKey = true)
    {
        var context = await server.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = server.Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1366, Height = 850 },
        });
        var tab = new BrowserPage(context, await context.NewPageAsync());
        await tab.Page.GotoAsync($"/#{page}");
        await Expect(tab.Page.Locator($"#page-{page}")).ToBeVisibleAsync();
        if (enterKey)
        {
            await tab.Page.FillAsync("#key-input", WebAppServer.ApiKey);
            await tab.Page.ClickAsync("#key-form button[type=submit]");
            await Expect(tab.Page.Locator("#key-set")).ToBeVisibleAsync();
        }

        return tab;
    }

    /// <summary>
    /// No console error and no uncaught exception. The browser itself logs each 4xx answer as "Failed to load
    /// resource"; a test that provokes such an answer on purpose names its status here.
    /// </summary>
    public void AssertNoConsoleErrors(params int[] expectedStatuses)
    {
        List<string> errors;
        lock (_errors)
        {
            errors = [.. _errors.Where(e => !expectedStatuses.Any(status => e.Contains($"status of {status}", StringComparison.Ordinal)))];
        }

        Assert.True(errors.Count == 0, $"console errors:\n{string.Join('\n', errors)}");
    }

    public async ValueTask DisposeAsync() => await _context.CloseAsync();
}
