using System.Diagnostics;
using System.Text.Json;

namespace Lepton.Functions.Tests;

/// <summary>
/// What <c>azd deploy</c> packages: the output of <c>dotnet publish</c> of src/Lepton.Functions (the build
/// output the other metadata tests read can differ from it), published once for this class.
/// </summary>
public sealed class PublishedApp : IDisposable
{
    public PublishedApp()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Lepton.Functions.sln")))
        {
            dir = dir.Parent;
        }

        string root = dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        Folder = Directory.CreateTempSubdirectory("lepton-functions-publish-").FullName;
        var start = new ProcessStartInfo("dotnet", ["publish", Path.Combine(root, "src", "Lepton.Functions"), "-c", "Release", "-o", Folder, "-nologo", "-v", "quiet"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = root,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dotnet publish of the Functions app did not finish in 10 minutes");
        }

        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish of the Functions app failed: {stdout}{stderr.Result}");
        }
    }

    public string Folder { get; }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

public sealed class PublishedAppTests(PublishedApp app) : IClassFixture<PublishedApp>
{
    private JsonElement[] Triggers()
    {
        string path = Path.Combine(app.Folder, "functions.metadata");
        Assert.True(File.Exists(path), $"the published app has no functions.metadata ({path})");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateArray()
            .Select(f => f.GetProperty("bindings").EnumerateArray().First(b =>
                b.GetProperty("direction").GetString() == "In" && b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal)).Clone())
            .ToArray();
    }

    [Fact]
    public void PublishedMetadata_HasOnlyTriggersFlexConsumptionAccepts()
    {
        // Flex Consumption refuses any blob trigger whose source is not Event Grid (even a disabled one).
        var triggers = Triggers();
        var blobs = triggers.Where(t => t.GetProperty("type").GetString() == "blobTrigger").ToArray();

        Assert.NotEmpty(blobs); // the upload trigger ships, through Event Grid
        Assert.All(blobs, t => Assert.Equal("EventGrid", t.TryGetProperty("source", out var s) ? s.GetString() : "(none: LogsAndContainerScan)"));
        Assert.DoesNotContain(triggers, t => t.GetProperty("type").GetString() == "timerTrigger");
    }

    [Fact]
    public void PublishedApp_HasWhatTheHostLoads()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(app.Folder, "host.json")));

        Assert.Equal("OpenTelemetry", host.RootElement.GetProperty("telemetryMode").GetString());
        Assert.True(File.Exists(Path.Combine(app.Folder, "worker.config.json")));
        Assert.False(File.Exists(Path.Combine(app.Folder, "local.settings.json")), "local.settings.json must not be published");
        Assert.False(File.Exists(Path.Combine(app.Folder, "Lepton.Functions.Local.dll")));
    }
}
