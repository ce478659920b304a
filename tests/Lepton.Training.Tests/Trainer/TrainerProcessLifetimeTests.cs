using System.Diagnostics;
using System.Globalization;
using Lepton.Tests;
using Lepton.Trainer;

namespace Lepton.Training.Tests.Trainer;

/// <summary>Issue 9, item 4: one live trainer per run folder, and no trainer outlives its parent.</summary>
public sealed class TrainerProcessLifetimeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-lifetime-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "lepton-trainer.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private string[] TrainArgs(string output, int epochs = 50) =>
        ["train", "--arch", "mlp", "--data", TestDatasets.WriteSlice(Path.Combine(_dir, "data"), train: 1500, test: 100), "--out", output, "--epochs", epochs.ToString(CultureInfo.InvariantCulture), "--batch-size", "16"];

    [Fact]
    public async Task SecondTrainer_OnALiveTrainersFolder_ExitsWith5()
    {
        string output = Path.Combine(_dir, "out");
        string[] train = TrainArgs(output); // the data slice is written once: rewriting it under the first trainer's reads broke that trainer
        using var first = Start(train);
        try
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (!File.Exists(Path.Combine(output, RunFolderLock.PidFile)) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }

            Assert.True(File.Exists(Path.Combine(output, RunFolderLock.PidFile)), "the first trainer never took the folder's lock");
            using var second = Start(train);
            Assert.True(second.WaitForExit(TimeSpan.FromSeconds(60)));

            Assert.Equal(5, second.ExitCode);
            Assert.False(first.HasExited);
        }
        finally
        {
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync();
        }
    }

    [Fact]
    public void StaleLock_OfADeadTrainer_IsTakenOver()
    {
        string output = Path.Combine(_dir, "stale");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, RunFolderLock.LockFile), string.Empty);
        File.WriteAllText(Path.Combine(output, RunFolderLock.PidFile), "999999");

        using var held = RunFolderLock.Acquire(output);

        Assert.Equal(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(output, RunFolderLock.PidFile)));
        Assert.Throws<RunFolderLockedException>(() => RunFolderLock.Acquire(output)); // held: a second one is refused
    }

    [Fact]
    public async Task Trainer_WhoseParentIsKilled_StopsWithinSeconds()
    {
        // bash starts the trainer with its own pid as --parent-pid and is then killed with SIGKILL, as a
        // CLI can be: the orphaned trainer must stop by itself instead of training 50 epochs.
        string output = Path.Combine(_dir, "orphan");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "-c", "dotnet \"$0\" \"$@\" --parent-pid $$ & wait", Path.Combine(AppContext.BaseDirectory, "lepton-trainer.dll") }.Concat(TrainArgs(output)))
        {
            start.ArgumentList.Add(arg);
        }

        using var parent = Process.Start(start)!;
        string pidFile = Path.Combine(output, RunFolderLock.PidFile);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        int trainer;
        while (!(File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile), CultureInfo.InvariantCulture, out trainer))) // the file exists a moment before its pid is in it
        {
            Assert.True(DateTime.UtcNow < deadline, "the trainer wrote no pid within 60 s");
            await Task.Delay(100);
        }

        Assert.True(Alive(trainer));
        parent.Kill(); // SIGKILL to bash only, not its tree
        await parent.WaitForExitAsync();

        var stop = Stopwatch.StartNew();
        while (Alive(trainer) && stop.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
        }

        Assert.False(Alive(trainer), "the trainer outlived its parent by 10 s");
    }

    private static bool Alive(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return !stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
