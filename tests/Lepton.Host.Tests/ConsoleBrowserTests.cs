using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Lepton.Core.Registry;
using Lepton.Inference.Runtime;
using Lepton.Tests;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Lepton.Host.Tests;

/// <summary>
/// The web console in a real headless Chromium, on <c>lepton serve</c> and on the Functions app under the
/// Functions host: the page loads with no console error, lists the registry, shows a version's card,
/// predicts an uploaded image and a drawing, promotes a version, and offers pipeline runs where the host
/// has them. Screenshots of each view go to <c>TestResults/console/</c>.
/// The card and explain routes are another change: where they answer 404, the page must say "no card" and
/// hide the saliency overlay, and the only console errors allowed are Chromium's own "Failed to load
/// resource ... 404" lines for exactly those requests; where they answer 200, the card's curves and
/// confusion images must load and the heatmap must show.
/// </summary>
[Collection(HostsCollection.Name)]
public sealed class ConsoleBrowserTests(HostsFixture fixture, ITestOutputHelper output)
{
    private static readonly byte[] Seven = ImageFiles.AsPhoto(TinyModels.ImageFor(7));

    /// <summary>A model of this test's own (production = 1), so promoting it touches no other test.</summary>
    private async Task<string> PublishAsync(string prefix)
    {
        string model = $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        foreach (int shift in new[] { 0, 1 })
        {
            byte[] bytes = TinyModels.Linear(shift);
            await fixture.Registry.PublishAsync(model, new MemoryStream(bytes), ModelInspector.Describe(bytes));
        }

        await fixture.Registry.SetAliasAsync(model, "production", 1);
        return model;
    }

    private static async Task<(bool Card, bool Explain)> OptionalRoutesAsync(HttpClient client, string model)
    {
        using var card = await client.GetAsync($"/api/models/{model}/versions/1/card");
        using var content = new ByteArrayContent(Seven);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var explain = await client.PostAsync($"/api/models/{model}/explain", content);
        return (card.StatusCode == HttpStatusCode.OK, explain.StatusCode == HttpStatusCode.OK);
    }

    /// <summary>Every console or page error except Chromium's own log of a 404 from a route that does not exist yet.</summary>
    private static List<string> Unexpected(ConsoleBrowser browser, bool card, bool explain) =>
        browser.Errors.Where(e => !(e.Contains("status of 404", StringComparison.Ordinal)
            && ((!card && e.Contains("/card", StringComparison.Ordinal)) || (!explain && e.Contains("/explain", StringComparison.Ordinal))))).ToList();

    private static async Task<string> SevenFileAsync()
    {
        string path = Path.Combine(Path.GetTempPath(), $"lepton-console-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(path, Seven);
        return path;
    }

    private static async Task SelectModelAsync(IPage page, string model)
    {
        await page.Locator($"#models tr[data-model='{model}'] button").ClickAsync();
        await Expect(page.Locator("#model-title")).ToHaveTextAsync(model);
        await page.Locator("#versions tr[data-version='2']").WaitForAsync();
    }

    private static async Task UploadSevenAsync(IPage page, bool explain)
    {
        string file = await SevenFileAsync();
        try
        {
            await page.Locator("#file").SetInputFilesAsync(file);
            await Expect(page.Locator("#prediction")).ToContainTextAsync("seven");
            await Expect(page.Locator("#top li")).ToHaveCountAsync(5);
            if (explain)
            {
                await Expect(page.Locator("#heatmap")).ToBeVisibleAsync();
            }
            else
            {
                await Expect(page.Locator("#explain-note")).ToContainTextAsync("not available");
                await Expect(page.Locator("#heatmap")).ToBeHiddenAsync();
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [BrowserFact]
    public async Task Console_OnServe_ListsShowsCardPredictsAndPromotes()
    {
        var clock = Stopwatch.StartNew();
        string model = await PublishAsync("console");
        var serve = await fixture.ServeAsync();
        var (card, explain) = await OptionalRoutesAsync(serve.Client, model);
        await using var browser = await ConsoleBrowser.LaunchAsync();
        var launched = clock.Elapsed;
        var page = await browser.OpenAsync(serve.Client.BaseAddress!);
        var loaded = clock.Elapsed;

        // The registry: both the fixture's model and ours, with versions, aliases and history.
        await page.Locator($"#models tr[data-model='{fixture.Model}']").WaitForAsync();
        await SelectModelAsync(page, model);
        await Expect(page.Locator("#versions tr[data-version='1'] .tag.production")).ToHaveTextAsync("production");
        await Expect(page.Locator("#alias-history li")).ToContainTextAsync(["production → 1"]);
        await Expect(page.Locator("#host")).ToHaveTextAsync("lepton serve");
        await Expect(page.Locator("#runs-unavailable")).ToContainTextAsync("no pipeline routes");
        await Expect(page.Locator("#runs-body")).ToBeHiddenAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "serve-registry", "#registry");

        // The card of version 1 (shown for the production version when the model is picked).
        await Expect(page.Locator("#card-title")).ToHaveTextAsync($"{model} v1");
        if (card)
        {
            await page.Locator("#card-images figure[data-image=curves] img").WaitForAsync();
            await page.Locator("#card-images figure[data-image=confusion] img").WaitForAsync();
            await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#card-images img')].every(i => i.complete && i.naturalWidth > 0)");
        }
        else
        {
            await Expect(page.Locator("#card-none")).ToHaveTextAsync($"No card for {model} version 1.");
            await Expect(page.Locator("#card-body")).ToBeHiddenAsync();
        }

        await ConsoleBrowser.ScreenshotAsync(page, "serve-card", "#card");

        // Try it: an uploaded photo, then a drawing.
        await UploadSevenAsync(page, explain);
        await ConsoleBrowser.ScreenshotAsync(page, "serve-try-it", "#try");
        var box = (await page.Locator("#draw").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + (box.Width * 0.5f), box.Y + (box.Height * 0.2f));
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box.X + (box.Width * 0.5f), box.Y + (box.Height * 0.8f), new MouseMoveOptions { Steps = 12 });
        await page.Mouse.UpAsync();
        var drawn = await page.RunAndWaitForResponseAsync(
            () => page.Locator("#draw-predict").ClickAsync(), r => r.Url.Contains("/predict", StringComparison.Ordinal));
        Assert.Equal(200, drawn.Status);
        await Expect(page.Locator("#top li")).ToHaveCountAsync(5);
        Assert.Matches(@"^\S+ \(\d+\.\d %\)$", await page.Locator("#prediction").TextContentAsync() ?? string.Empty);

        // Promote version 2 (lepton serve lets loopback clients do admin without a key).
        await page.Locator("#versions tr[data-version='2'] button", new PageLocatorOptions { HasText = "promote" }).ClickAsync();
        await Expect(page.Locator("#notice")).ToHaveTextAsync($"{model}: production → version 2");
        await Expect(page.Locator("#versions tr[data-version='2'] .tag.production")).ToHaveTextAsync("production");
        Assert.Equal(2, (await fixture.Registry.GetAliasesAsync(model)).Aliases["production"]);
        await ConsoleBrowser.ScreenshotAsync(page, "serve-console");

        var unexpected = Unexpected(browser, card, explain);
        Assert.True(unexpected.Count == 0, string.Join('\n', unexpected));
        output.WriteLine($"browser launched in {launched.TotalSeconds:F1} s, page ready at {loaded.TotalSeconds:F1} s, test {clock.Elapsed.TotalSeconds:F1} s (card route: {card}, explain route: {explain})");
    }

    [FunctionsBrowserFact]
    public async Task Console_OnFunctionsHost_ListsModelsPredictsAndOffersRuns()
    {
        var clock = Stopwatch.StartNew();
        string model = await PublishAsync("console-fn");
        var host = await fixture.FunctionsAsync();
        var (card, explain) = await OptionalRoutesAsync(host.Client, model);
        await using var browser = await ConsoleBrowser.LaunchAsync();
        var page = await browser.OpenAsync(host.Client.BaseAddress!);
        var loaded = clock.Elapsed;

        await page.Locator($"#models tr[data-model='{fixture.Model}']").WaitForAsync();
        await SelectModelAsync(page, model);
        await Expect(page.Locator("#host")).ToHaveTextAsync("Azure Functions app");
        await Expect(page.Locator("#runs-body")).ToBeVisibleAsync();
        await Expect(page.Locator("#run-form button[type=submit]")).ToHaveTextAsync("Start a run");
        await UploadSevenAsync(page, explain);
        await ConsoleBrowser.ScreenshotAsync(page, "functions-console");

        var unexpected = Unexpected(browser, card, explain);
        Assert.True(unexpected.Count == 0, string.Join('\n', unexpected));
        output.WriteLine($"page ready at {loaded.TotalSeconds:F1} s, test {clock.Elapsed.TotalSeconds:F1} s (card route: {card}, explain route: {explain})");
    }
}
