using System.Diagnostics;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Inference.Tests.Http;

/// <summary><c>lepton models promote</c> verifies the version first, as the API does.</summary>
public sealed class CliPromoteTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lepton-promote-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Promote_AVersionFailingItsIntegrityCheck_IsRefused_AndTheAliasStays()
    {
        var registry = new ModelRegistry(new FolderArtifactStore(_root));
        foreach (int shift in new[] { 0, 1 })
        {
            byte[] bytes = TinyModels.Linear(shift);
            await registry.PublishAsync("cli", new MemoryStream(bytes), ModelInspector.Describe(bytes));
        }

        await registry.SetAliasAsync("cli", "production", 1);
        await File.WriteAllBytesAsync(Path.Combine(_root, ModelRegistry.ModelPath("cli", 2)), TinyModels.Linear(shift: 4));
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { ServerProcess.CliPath, "models", "promote", "cli", "2", "--store", _root })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.NotEqual(0, process.ExitCode);
        Assert.Contains("cannot be promoted", stderr, StringComparison.Ordinal);
        Assert.Equal(1, (await registry.GetAliasesAsync("cli")).Aliases["production"]);
    }
}
