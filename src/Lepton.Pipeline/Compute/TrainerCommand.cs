using System.Diagnostics;
using Lepton.Core.Contracts;

namespace Lepton.Pipeline.Compute;

/// <summary>
/// How to start the trainer here: <c>dotnet lepton-trainer.dll</c>, through the repository's
/// scripts/torch-run.sh where it exists (it runs the trainer natively where TorchSharp loads and in the
/// Debian 13 userland otherwise). The trainer is LEPTON_TRAINER, else the repository's own build
/// (built on first use).
/// </summary>
public sealed class TrainerCommand(string trainerDll, string? launcher)
{
    private static readonly string[] Configurations = ["Release", "Debug"];

    public string TrainerDll { get; } = trainerDll;

    public string? Launcher { get; } = launcher;

    /// <summary>Finds (and if needed builds) the trainer of the repository this program runs from.</summary>
    public static TrainerCommand Locate(TextWriter? log = null)
    {
        string? root = RepositoryRoot();
        string? launcher = root is not null && File.Exists(Path.Combine(root, "scripts", "torch-run.sh")) ? Path.Combine(root, "scripts", "torch-run.sh") : null;
        if (Environment.GetEnvironmentVariable(LeptonSettings.TrainerPath) is { Length: > 0 } configured)
        {
            // A trainer outside this program's repository (the app runs from elsewhere): the launcher of the
            // repository the trainer was built in, where there is one.
            return File.Exists(configured)
                ? new TrainerCommand(Path.GetFullPath(configured), launcher ?? LauncherNear(configured))
                : throw new FileNotFoundException($"{LeptonSettings.TrainerPath} names {configured}, which does not exist");
        }

        if (root is null)
        {
            throw new FileNotFoundException($"the trainer was not found: set {LeptonSettings.TrainerPath} to lepton-trainer.dll");
        }

        // The most recently built configuration: an older Release build must not shadow today's Debug one.
        string? newest = Configurations
            .Select(c => new FileInfo(Path.Combine(root, "src", "Lepton.Trainer", "bin", c, "net10.0", "lepton-trainer.dll")))
            .Where(f => f.Exists)
            .OrderByDescending(f => f.LastWriteTimeUtc)
            .Select(f => f.FullName)
            .FirstOrDefault();
        if (newest is not null)
        {
            return new TrainerCommand(newest, launcher);
        }

        log?.WriteLine("building the trainer (once)");
        using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", Path.Combine(root, "src", "Lepton.Trainer"), "-c", "Release", "-nologo", "-v", "quiet"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        string buildOutput = build.StandardOutput.ReadToEnd() + build.StandardError.ReadToEnd();
        build.WaitForExit();
        string built = Path.Combine(root, "src", "Lepton.Trainer", "bin", "Release", "net10.0", "lepton-trainer.dll");
        return build.ExitCode == 0 && File.Exists(built)
            ? new TrainerCommand(built, launcher)
            : throw new InvalidOperationException($"building the trainer failed: {buildOutput}");
    }

    /// <summary>Starts the trainer with the arguments, its output appended to <paramref name="logPath"/>.</summary>
    public Process Start(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment, string logPath)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(environment);
        var start = new ProcessStartInfo(Launcher ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Launcher is not null)
        {
            start.ArgumentList.Add("dotnet");
        }

        start.ArgumentList.Add(TrainerDll);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("the trainer did not start");
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        bool closed = false;
        void Write(string? line)
        {
            lock (log)
            {
                if (line is not null && !closed)
                {
                    log.WriteLine(line);
                }
            }
        }

        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            process.WaitForExit(); // drain the output events
            lock (log)
            {
                closed = true;
                log.Dispose();
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string? LauncherNear(string trainerDll)
    {
        for (var dir = new FileInfo(trainerDll).Directory; dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "scripts", "torch-run.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string? RepositoryRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Lepton.Functions.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}
