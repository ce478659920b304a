using System.Diagnostics;
using Lepton.Core.Contracts;

namespace Lepton.Pipeline.Compute;

/// <summary>The trainer could not be found; the message says how to build it or where to point the setting.</summary>
public sealed class TrainerNotFoundException(string message) : Exception(message);

/// <summary>
/// How to start the trainer here: <c>dotnet lepton-trainer.dll</c>, through the repository's
/// scripts/torch-run.sh where it exists (it runs the trainer natively where TorchSharp loads and in the
/// Debian 13 userland otherwise). Where the trainer is: the setting LEPTON_TRAINER, else this program's
/// own output folder, else the repository's newest build. Nothing is built at run time: a trainer that
/// is not there fails at start, saying how to build it.
/// </summary>
public sealed class TrainerCommand(string trainerDll, string? launcher)
{
    /// <summary>The trainer's file name.</summary>
    public const string TrainerFile = "lepton-trainer.dll";

    private static readonly string[] Configurations = ["Release", "Debug"];

    public string TrainerDll { get; } = trainerDll;

    public string? Launcher { get; } = launcher;

    /// <summary>
    /// Resolves the trainer (call it at start-up). <paramref name="configured"/> defaults to the
    /// LEPTON_TRAINER environment variable; <paramref name="ownFolder"/> to this program's folder.
    /// </summary>
    /// <exception cref="TrainerNotFoundException">No trainer is where it is looked for.</exception>
    public static TrainerCommand Locate(string? configured = null, string? ownFolder = null)
    {
        configured ??= Environment.GetEnvironmentVariable(LeptonSettings.TrainerPath);
        ownFolder ??= AppContext.BaseDirectory;
        string? root = RepositoryRoot(ownFolder);
        string? launcher = root is not null && File.Exists(Path.Combine(root, "scripts", "torch-run.sh")) ? Path.Combine(root, "scripts", "torch-run.sh") : null;
        if (configured is { Length: > 0 })
        {
            // A trainer outside this program's repository (the app runs from elsewhere): the launcher of the
            // repository the trainer was built in, where there is one.
            return File.Exists(configured)
                ? new TrainerCommand(Path.GetFullPath(configured), launcher ?? LauncherNear(configured))
                : throw new TrainerNotFoundException($"{LeptonSettings.TrainerPath} names {configured}, which does not exist");
        }

        string own = Path.Combine(ownFolder, TrainerFile);
        if (File.Exists(own))
        {
            return new TrainerCommand(own, launcher ?? LauncherNear(own));
        }

        if (root is null)
        {
            throw new TrainerNotFoundException($"the trainer was not found beside this program nor in a Lepton repository above it: set {LeptonSettings.TrainerPath} to a {TrainerFile}");
        }

        // The most recently built configuration: an older Release build must not shadow today's Debug one.
        string? newest = Configurations
            .Select(c => new FileInfo(Path.Combine(root, "src", "Lepton.Trainer", "bin", c, "net10.0", TrainerFile)))
            .Where(f => f.Exists)
            .OrderByDescending(f => f.LastWriteTimeUtc)
            .Select(f => f.FullName)
            .FirstOrDefault();
        return newest is not null
            ? new TrainerCommand(newest, launcher)
            : throw new TrainerNotFoundException(
                $"the trainer is not built: run 'dotnet build {Path.Combine(root, "src", "Lepton.Trainer")} -c Release' (or set {LeptonSettings.TrainerPath} to a {TrainerFile})");
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
            try
            {
                process.WaitForExit(); // drain the output events
            }
            catch (InvalidOperationException)
            {
                // the owner has already waited and released the process
            }

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

    private static string? RepositoryRoot(string ownFolder)
    {
        foreach (string start in new[] { ownFolder, Directory.GetCurrentDirectory() })
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
