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
/// has them. Screenshots of each view go to <c>TestResults/console/</c>. The model is a real one: a small
/// `mlp` the trainer trains on a Fashion-MNIST slice (<see cref="TrainedRun"/>), published with the card
/// the publish step makes, so the card's curves, confusion matrix and mistakes are that run's.
/// </summary>
[Collection(HostsCollection.Name)]
public sealed class ConsoleBrowserTests(HostsFixture fixture, ITestOutputHelper output)
{
    /// <summary>A Fashion-MNIST test image (a trouser, the easiest class), as a user's photo would be.</summary>
    private static readonly byte[] Trouser = ImageFiles.AsPhoto(FirstOfClass(TestDatasets.FashionMnist.Test, 1));

    private static float[] FirstOfClass(Lepton.Core.Data.LabeledImages images, byte label) =>
        images.Select([Array.IndexOf(images.Labels, label)]).Images.ToScaledFloats();

    /// <summary>A model of this test's own (two versions of the trained run, production = 1), so promoting it touches no other test.</summary>
    private async Task<string> PublishAsync(string prefix)
    {
        string model = $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";
        for (int i = 0; i < 2; i++)
        {
            await TrainedRun.PublishAsync(fixture.Registry, model);
        }

        await fixture.Registry.SetAliasAsync(model, "production", 1);
        return model;
    }

    /// <summary>
    /// Every console or page error, except Chromium's own log line for a card that does not exist: models
    /// published without one (by other tests, or before cards existed) are shown as "no card", but the
    /// browser logs the 404 itself.
    /// </summary>
    private static List<string> Unexpected(ConsoleBrowser browser) =>
        browser.Errors.Where(e => !(e.Contains("status of 404", StringComparison.Ordinal) && e.Contains("/card", StringComparison.Ordinal))).ToList();

    private static async Task<string> TrouserFileAsync()
    {
        string path = Path.Combine(Path.GetTempPath(), $"lepton-console-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(path, Trouser);
        return path;
    }

    private static async Task SelectModelAsync(IPage page, string model)
    {
        await page.Locator($"#models tr[data-model='{model}'] button").ClickAsync();
        await Expect(page.Locator("#model-title")).ToHaveTextAsync(model);
        await page.Locator("#versions tr[data-version='2']").WaitForAsync();
    }

    private static async Task UploadTrouserAsync(IPage page)
    {
        string file = await TrouserFileAsync();
        try
        {
            await page.Locator("#file").SetInputFilesAsync(file);
            await Expect(page.Locator("#top li")).ToHaveCountAsync(5);
            string prediction = await page.Locator("#prediction").TextContentAsync() ?? string.Empty;
            Assert.Contains(TestDatasets.FashionMnist.LabelNames, label => prediction.StartsWith(label + " (", StringComparison.Ordinal));
            await Expect(page.Locator("#heatmap")).ToBeVisibleAsync();
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
        await page.Locator("#card-images figure[data-image=curves] img").WaitForAsync();
        await page.Locator("#card-images figure[data-image=confusion] img").WaitForAsync();
        await page.Locator("#card-images figure[data-image=mistakes] img").WaitForAsync();
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#card-images img')].every(i => i.complete && i.naturalWidth > 0)");

        await ConsoleBrowser.ScreenshotAsync(page, "serve-card", "#card");

        // Try it: an uploaded photo, then a drawing.
        await UploadTrouserAsync(page);
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
        Assert.Matches(@"^.+ \(\d+\.\d %\)$", await page.Locator("#prediction").TextContentAsync() ?? string.Empty);

        // Promote version 2 (lepton serve lets loopback clients do admin without a key).
        await page.Locator("#versions tr[data-version='2'] button", new PageLocatorOptions { HasText = "promote" }).ClickAsync();
        await Expect(page.Locator("#notice")).ToHaveTextAsync($"{model}: production → version 2");
        await Expect(page.Locator("#versions tr[data-version='2'] .tag.production")).ToHaveTextAsync("production");
        Assert.Equal(2, (await fixture.Registry.GetAliasesAsync(model)).Aliases["production"]);
        await ConsoleBrowser.ScreenshotAsync(page, "serve-console");

        var unexpected = Unexpected(browser);
        Assert.True(unexpected.Count == 0, string.Join('\n', unexpected));
        output.WriteLine($"browser launched in {launched.TotalSeconds:F1} s, page ready at {loaded.TotalSeconds:F1} s, test {clock.Elapsed.TotalSeconds:F1} s");
    }

    [FunctionsBrowserFact]
    public async Task Console_OnFunctionsHost_ListsModelsPredicts_AndListsAndFollowsARunWithTheKey()
    {
        var clock = Stopwatch.StartNew();
        string model = await PublishAsync("console-fn");
        var host = await fixture.FunctionsAsync();

        // A run started over HTTP (a tiny real one, on a path the upload scan leaves alone): the console
        // must find it in the list of runs once it has the key, and follow it to its end.
        string runModel = $"console-run-{Guid.NewGuid().ToString("N")[..8]}";
        fixture.UploadedTo(runModel);
        await using (var zip = File.OpenRead(fixture.IdxArchive(runModel, 300, 60)))
        {
            await fixture.Registry.Store.WriteAsync($"datasets/{runModel}/manual/data.zip", zip);
        }

        using var start = host.WithKey(HttpMethod.Post, "/api/pipelines", new StringContent(
            $$"""{"modelName":"{{runModel}}","dataset":"datasets/{{runModel}}/manual/data.zip","training":{"architecture":"mlp","epochs":1},"minimumAccuracy":0.1}""",
            System.Text.Encoding.UTF8, "application/json"));
        using var started = await host.Client.SendAsync(start);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        string runId = System.Text.Json.JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        await using var browser = await ConsoleBrowser.LaunchAsync();
        var page = await browser.OpenAsync(host.Client.BaseAddress!);
        var loaded = clock.Elapsed;

        await page.Locator($"#models tr[data-model='{fixture.Model}']").WaitForAsync();
        await SelectModelAsync(page, model);
        await Expect(page.Locator("#host")).ToHaveTextAsync("Azure Functions app");
        await Expect(page.Locator("#runs-body")).ToBeVisibleAsync();
        await Expect(page.Locator("#run-form button[type=submit]")).ToHaveTextAsync("Start a run");
        await Expect(page.Locator("#runs-hint")).ToContainTextAsync("function key");
        await UploadTrouserAsync(page);

        await page.Locator("#key").FillAsync(host.FunctionKey);
        await page.Locator("#key-form button[type=submit]").ClickAsync();
        var row = page.Locator($"#run-list tr[data-run='{runId}']");
        await Expect(row).ToBeVisibleAsync();
        await Expect(row.Locator("td").Nth(2)).ToHaveTextAsync("Completed", new LocatorAssertionsToHaveTextOptions { Timeout = 180_000 });
        await Expect(row.Locator("td").Nth(6)).ToContainTextAsync("Published v1");
        await Expect(page.Locator("#runs-hint")).ToBeHiddenAsync();
        await ConsoleBrowser.ScreenshotAsync(page, "functions-console");

        var unexpected = Unexpected(browser);
        Assert.True(unexpected.Count == 0, string.Join('\n', unexpected));
        output.WriteLine($"page ready at {loaded.TotalSeconds:F1} s, test {clock.Elapsed.TotalSeconds:F1} s");
    }
}
