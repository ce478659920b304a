using System.Diagnostics;
using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Tests;

namespace Lepton.Training.Tests.Trainer;

/// <summary>
/// The trainer as its job image holds it (src/Lepton.Trainer/Dockerfile: <c>dotnet publish -r linux-x64</c>
/// onto <c>mcr.microsoft.com/dotnet/runtime</c>, which has only Microsoft.NETCore.App), published once per
/// test run. No container engine runs here: the closest check is the published trainer on a .NET root
/// that has nothing but the host and Microsoft.NETCore.App.
/// </summary>
public sealed class PublishedTrainer : IDisposable
{
    public PublishedTrainer()
    {
        Root = Directory.CreateTempSubdirectory("lepton-trainer-image-").FullName;
        Publish = Path.Combine(Root, "app");
        // The linux-x64 restore is a real one (the solution's restore has no RID); the audit's feed is not what this tests.
        var (code, output) = Run("dotnet", ["publish", Path.Combine(Repository, "src", "Lepton.Trainer"), "-c", "Release", "-r", "linux-x64",
            "--self-contained", "false", "-o", Publish, "-nologo", "-v", "quiet", "-p:NuGetAudit=false"], TimeSpan.FromMinutes(10));
        PublishTime = Stopwatch.GetElapsedTime(_started);
        if (code != 0)
        {
            throw new InvalidOperationException($"dotnet publish of the trainer failed ({code}): {output}");
        }

        RuntimeOnlyDotnetRoot = Path.Combine(Root, "dotnet-runtime");
        CopyRuntimeOnly(RuntimeOnlyDotnetRoot);
    }

    private readonly long _started = Stopwatch.GetTimestamp();

    public static string Repository { get; } = FindRepository();

    public string Root { get; }

    public string Publish { get; }

    public TimeSpan PublishTime { get; }

    /// <summary>A copy of this machine's <c>dotnet</c> host with <c>host/</c> and <c>shared/Microsoft.NETCore.App/</c> only.</summary>
    public string RuntimeOnlyDotnetRoot { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private static string FindRepository()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Lepton.Functions.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    /// <summary>The .NET root the running test host came from (DOTNET_ROOT, else the dotnet on PATH, resolved).</summary>
    private static string HostDotnetRoot()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } root && File.Exists(Path.Combine(root, "dotnet")))
        {
            return root;
        }

        string? onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Select(p => Path.Combine(p, "dotnet")).FirstOrDefault(File.Exists);
        string dotnet = onPath ?? throw new InvalidOperationException("dotnet not found on PATH");
        string resolved = new FileInfo(dotnet).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? dotnet;
        return Path.GetDirectoryName(resolved)!;
    }

    private static void CopyRuntimeOnly(string target)
    {
        string source = HostDotnetRoot();
        Directory.CreateDirectory(target);
        File.Copy(Path.Combine(source, "dotnet"), Path.Combine(target, "dotnet")); // File.Copy keeps the mode on Unix
        CopyFolder(Path.Combine(source, "host"), Path.Combine(target, "host"));
        CopyFolder(Path.Combine(source, "shared", "Microsoft.NETCore.App"), Path.Combine(target, "shared", "Microsoft.NETCore.App"));
    }

    private static void CopyFolder(string source, string target)
    {
        foreach (string dir in Directory.GetDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, dir)));
        }

        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(target, Path.GetRelativePath(source, file)));
        }
    }

    public static (int ExitCode, string Output) Run(string command, IEnumerable<string> args, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repository };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} did not finish in {timeout}");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}

public sealed class TrainerImageTests(PublishedTrainer trainer) : IClassFixture<PublishedTrainer>, IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("lepton-trainer-image-out-").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public void PublishedRuntimeConfig_ListsOnlyMicrosoftNetCoreApp()
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(trainer.Publish, "lepton-trainer.runtimeconfig.json")));
        var options = config.RootElement.GetProperty("runtimeOptions");
        string[] frameworks = options.TryGetProperty("frameworks", out var many)
            ? many.EnumerateArray().Select(f => f.GetProperty("name").GetString() ?? string.Empty).ToArray()
            : [options.GetProperty("framework").GetProperty("name").GetString() ?? string.Empty];

        Assert.Equal(["Microsoft.NETCore.App"], frameworks);
    }

    [Fact]
    public void RuntimeOnlyDotnetRoot_HasNoOtherFramework()
    {
        Assert.Equal(["Microsoft.NETCore.App"], Directory.GetDirectories(Path.Combine(trainer.RuntimeOnlyDotnetRoot, "shared")).Select(d => Path.GetFileName(d)!));
        Assert.True(File.Exists(Path.Combine(trainer.RuntimeOnlyDotnetRoot, "dotnet")));
    }

    [Fact]
    public void PublishedTrainer_OnARuntimeOnlyDotnet_TrainsOneEpoch()
    {
        var started = Stopwatch.GetTimestamp();
        string dotnet = Path.Combine(trainer.RuntimeOnlyDotnetRoot, "dotnet");
        // The image's command line, through torch-run (TorchSharp's libstdc++; a no-op where the host has it).
        var (code, output) = PublishedTrainer.Run(Path.Combine(PublishedTrainer.Repository, "scripts", "torch-run.sh"),
            [dotnet, Path.Combine(trainer.Publish, "lepton-trainer.dll"), "train", "--arch", "mlp", "--epochs", "1",
             "--train-limit", "500", "--test-limit", "200", "--data", TestDatasets.FashionMnistFolder, "--out", _out],
            TimeSpan.FromMinutes(5),
            new Dictionary<string, string> { ["DOTNET_ROOT"] = trainer.RuntimeOnlyDotnetRoot });

        Assert.True(code == 0, $"exit {code} (publish {trainer.PublishTime.TotalSeconds:0} s, run {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s): {output}");
        Assert.True(File.Exists(Path.Combine(_out, "model.onnx")), "model.onnx missing");
        var metrics = LeptonJson.ReadFile<TrainingMetrics>(Path.Combine(_out, "metrics.json"));
        Assert.Equal(200, metrics.Test.Examples);
        Assert.InRange(metrics.Test.Accuracy, 0.3, 1.0); // one epoch of an MLP on 450 images: well above chance (0.1)
    }
}
