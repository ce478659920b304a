using Microsoft.Playwright;

namespace Lepton.Host.Tests;

/// <summary>
/// A headless Chromium driven by Playwright: Debian's <c>chromium</c> (Playwright's own browser download
/// is not reachable from our machines), or the one LEPTON_CHROMIUM names. Tests that need it are skipped
/// (never passed) where there is none. Collects every console error and page error of the pages it opens.
/// </summary>
public sealed class ConsoleBrowser : IAsyncDisposable
{
    public const string ChromiumVariable = "LEPTON_CHROMIUM";

    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<string> _errors = [];

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    /// <summary>The browser to drive, or null (with the reason) when there is none.</summary>
    public static string? Locate(out string reason)
    {
        string? given = Environment.GetEnvironmentVariable(ChromiumVariable);
        if (!string.IsNullOrEmpty(given))
        {
            reason = File.Exists(given) ? string.Empty : $"{ChromiumVariable}={given} does not exist";
            return File.Exists(given) ? given : null;
        }

        string? found = Candidates.FirstOrDefault(c => File.Exists(c) && Runs(c));
        reason = found is null ? $"no working Chromium ({string.Join(", ", Candidates)} or {ChromiumVariable}); scripts/test.sh installs Debian's chromium as root" : string.Empty;
        return found;
    }

    /// <summary>True when <c>{browser} --version</c> answers (Ubuntu's chromium package is only a stub for a snap).</summary>
    private static bool Runs(string browser)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(browser, "--version")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            string version = process.StandardOutput.ReadToEnd();
            return process.WaitForExit(TimeSpan.FromSeconds(20)) && process.ExitCode == 0
                && (version.Contains("Chromium", StringComparison.Ordinal) || version.Contains("Chrome", StringComparison.Ordinal));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Why browser tests are skipped, or null when a browser is there.</summary>
    public static string? SkipReason { get; } = Locate(out string reason) is null ? reason : null;

    /// <summary>Where tests write their screenshots: <c>TestResults/console/</c> at the repository root.</summary>
    public static string ArtifactFolder
    {
        get
        {
            string folder = Path.Combine(Lepton.Tests.FunctionsHost.RepositoryRoot, "TestResults", "console");
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    /// <summary>Console and page errors seen so far, with where they came from.</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public static async Task<ConsoleBrowser> LaunchAsync()
    {
        string executable = Locate(out string reason) ?? throw new InvalidOperationException(reason);
        var playwright = await Playwright.CreateAsync();
        try
        {
            // --no-sandbox: Chromium refuses to run as root with its sandbox (scripts/test.sh and CI run as
            // root); these pages are our own, served on loopback.
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = executable,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
                Timeout = 60_000,
            });
            return new ConsoleBrowser(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async Task<IPage> OpenAsync(Uri url)
    {
        var page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        page.SetDefaultTimeout(20_000);
        Assertions.SetDefaultExpectTimeout(20_000); // Expect(...) has its own default (5 s): a first predict on the host loads the model
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Add($"console error: {message.Text} (at {message.Location})");
            }
        };
        page.PageError += (_, error) => Add($"page error: {error}");
        var response = await page.GotoAsync(url.ToString());
        if (response is null || !response.Ok)
        {
            throw new InvalidOperationException($"GET {url}: {response?.Status}");
        }

        // The script marks the page ready once the registry is listed.
        await page.Locator("body[data-ready=true]").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
        return page;
    }

    /// <summary>A screenshot of the whole page or of one view, under <see cref="ArtifactFolder"/>; returns its path.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name, string? selector = null)
    {
        ArgumentNullException.ThrowIfNull(page);
        string path = Path.Combine(ArtifactFolder, name + ".png");
        if (selector is null)
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        }
        else
        {
            await page.Locator(selector).ScreenshotAsync(new LocatorScreenshotOptions { Path = path });
        }

        Assert.True(new FileInfo(path).Length > 1000, $"screenshot {path} is empty");
        return path;
    }

    private void Add(string error)
    {
        lock (_errors)
        {
            _errors.Add(error);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync();
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
