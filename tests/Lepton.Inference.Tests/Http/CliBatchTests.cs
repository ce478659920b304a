using System.Diagnostics;
using System.Text.Json;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Inference.Tests.Http;

/// <summary><c>lepton batch score</c> as a user runs it: a folder of PNGs to a JSON-lines file.</summary>
public sealed class CliBatchTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lepton-cli-batch-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private async Task<(int Exit, string Output)> LeptonAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _root };
        foreach (string arg in args.Prepend(ServerProcess.CliPath))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = await process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + stderr);
    }

    [Fact]
    public async Task BatchScore_Folder_WritesOneLinePerImage_AndSaysWhatFailed()
    {
        string store = Path.Combine(_root, "store");
        var registry = new ModelRegistry(new FolderArtifactStore(store));
        byte[] bytes = TinyModels.Linear();
        await registry.PublishAsync("cli", new MemoryStream(bytes), ModelInspector.Describe(bytes));
        string images = Path.Combine(_root, "images");
        Directory.CreateDirectory(images);
        for (int c = 0; c < 10; c++)
        {
            await File.WriteAllBytesAsync(Path.Combine(images, $"{c}.png"), ImageFiles.Encode(TinyModels.ImageFor(c), 28, 28));
        }

        await File.WriteAllTextAsync(Path.Combine(images, "x.png"), "not a picture");
        string results = Path.Combine(_root, "results.jsonl");

        var (exit, output) = await LeptonAsync("batch", "score", "cli", images, "--out", results, "--store", store, "--chunk-size", "4");

        Assert.True(exit == 0, output);
        Assert.Contains("10 of 11 inputs scored by cli version 1, 1 failed", output, StringComparison.Ordinal);
        var lines = (await File.ReadAllLinesAsync(results)).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(11, lines.Length);
        Assert.Equal("three", lines.Single(l => l.GetProperty("input").GetString() == "3.png").GetProperty("label").GetString());
        Assert.True(lines.Single(l => l.GetProperty("input").GetString() == "x.png").TryGetProperty("error", out _));
    }

    [Fact]
    public async Task BatchScore_UnknownModel_ExitsOne_NamingIt()
    {
        Directory.CreateDirectory(Path.Combine(_root, "empty"));

        var (exit, output) = await LeptonAsync("batch", "score", "nobody", Path.Combine(_root, "empty"), "--out", Path.Combine(_root, "r.jsonl"), "--store", Path.Combine(_root, "store"));

        Assert.Equal(1, exit);
        Assert.Contains("nobody", output, StringComparison.Ordinal);
    }
}
