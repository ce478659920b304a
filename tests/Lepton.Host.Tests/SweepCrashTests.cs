using System.Diagnostics;
using System.Text.Json;
using Lepton.Tests;

namespace Lepton.Host.Tests;

/// <summary>
/// A sweep whose process crashes mid-sweep: <c>lepton pipeline run --sweep</c> (the in-process engine over a
/// folder store and work folder, which persist) killed with SIGKILL once two of four trials have finished,
/// then the same command again: it completes and publishes one version, and the trials finished before the
/// crash are not trained again (their trainer resumes from their last checkpoint, the last epoch).
/// </summary>
public sealed class SweepCrashTests
{
    private static Process Start(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(ServerProcess.CliPath);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    /// <summary>The trials' run folders under the work folder (<c>runs/{runId}-tNN</c>) whose status.json says succeeded.</summary>
    private static string[] Succeeded(string work)
    {
        string runs = Path.Combine(work, "runs");
        return !Directory.Exists(runs) ? [] : [.. Directory.GetDirectories(runs, "*-t0?").Where(d =>
        {
            try
            {
                return File.Exists(Path.Combine(d, "status.json"))
                    && JsonDocument.Parse(File.ReadAllText(Path.Combine(d, "status.json"))).RootElement.GetProperty("state").GetString() == "succeeded";
            }
            catch (Exception ex) when (ex is IOException or JsonException)
            {
                return false; // being written
            }
        })];
    }

    private static JsonElement History(string trial) => JsonDocument.Parse(File.ReadAllText(Path.Combine(trial, "history.json"))).RootElement.Clone();

    [Fact]
    public async Task SweepKilledAfterTwoTrials_RunAgain_PublishesOnce_FinishedTrialsNotRetrained()
    {
        string root = Directory.CreateTempSubdirectory("lepton-sweep-crash-").FullName;
        try
        {
            string data = TestDatasets.WriteSlice(Path.Combine(root, "data"), 300, 100);
            string work = Path.Combine(root, "runs");
            string[] args =
            [
                "pipeline", "run", "--name", "crashed", "--data", data, "--arch", "mlp", "--epochs", "1", "--threads", "1",
                "--sweep", "lr=0.0003,0.001,0.003,0.01", "--max-concurrent", "1",
                "--store", Path.Combine(root, "store"), "--work", work, "--plain",
            ];

            string[] before;
            using (var first = Start(args))
            {
                var output = first.StandardOutput.ReadToEndAsync();
                var errors = first.StandardError.ReadToEndAsync();
                var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
                while ((before = Succeeded(work)).Length < 2)
                {
                    if (first.HasExited)
                    {
                        Assert.Fail($"the sweep ended before the kill: {await output}{await errors}");
                    }

                    Assert.True(DateTime.UtcNow < deadline, "two trials did not finish within 2 minutes");
                    await Task.Delay(100);
                }

                first.Kill(entireProcessTree: true); // SIGKILL: the CLI, its engine and its trainer, mid-sweep
                Assert.True(before.Length is 2 or 3, $"{before.Length} trials had finished at the kill");
                await first.WaitForExitAsync();
            }


            using var again = Start(args);
            var stdout = again.StandardOutput.ReadToEndAsync();
            var stderr = again.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await again.WaitForExitAsync(timeout.Token);
            string all = await stdout + await stderr;

            Assert.True(again.ExitCode == 0, all);
            Assert.Contains("published crashed version 1", all, StringComparison.Ordinal);
            var trials = Directory.GetDirectories(Path.Combine(work, "runs"), "*-t0?");
            Assert.Equal(4, trials.Length);
            Assert.Equal(4, Succeeded(work).Length);
            int trainedAgain = 0;
            foreach (string trial in trials)
            {
                var history = History(trial);
                int epochs = history.GetProperty("epochs").GetArrayLength();
                int trainedByTheRerun = epochs - history.GetProperty("resumedFromEpoch").GetInt32();
                Assert.Equal(1, epochs);
                // A trial finished before the crash: resumed from its last epoch, nothing trained again.
                Assert.True(!before.Contains(trial) || trainedByTheRerun == 0, $"{Path.GetFileName(trial)} finished before the crash, yet: {history}");
                trainedAgain += trainedByTheRerun;
            }

            Assert.InRange(trainedAgain, 1, 4 - before.Length); // the last trial at least had not started

            var registry = new Lepton.Core.Registry.ModelRegistry(new Lepton.Core.Storage.FolderArtifactStore(Path.Combine(root, "store")));
            Assert.Equal([1], await registry.ListVersionsAsync("crashed"));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
