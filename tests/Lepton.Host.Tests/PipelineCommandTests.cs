using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Lepton.Tests;

namespace Lepton.Host.Tests;

/// <summary>
/// <c>lepton pipeline run</c> as CI logs see it: a tiny run with stdout redirected and <c>--plain</c>
/// prints the stage lines, batch progress lines from the trainer's status.json (every update, with
/// LEPTON_TRAINER_PROGRESS_SECONDS=0), an epoch table and the published version, with no terminal codes.
/// </summary>
public sealed partial class PipelineCommandTests
{
    [GeneratedRegex(@"^training \(attempt 1\): batch (\d+)/(\d+) in epoch (\d) of 2, running loss \d+\.\d{4}, \d+ samples/s, ETA \d+:\d\d$")]
    private static partial Regex BatchLine();

    [GeneratedRegex(@"^\s+(\d)\s+\d+\.\d{4}\s+\d\.\d{4}\s+\d+\.\d{4}\s+\d\.\d{4}\s+\d+\.\d\s+\d+$")]
    private static partial Regex EpochRow();

    [Fact]
    public async Task PipelineRun_Plain_PrintsStagesBatchProgressAndSummary()
    {
        string work = Directory.CreateTempSubdirectory("lepton-cli-plain-").FullName;
        try
        {
            // 1,600 images in batches of 8: about 180 batches an epoch, seconds of training even on a fast machine,
            // so the CLI (which looks at status.json twice a second) sees several batch snapshots.
            string data = TestDatasets.WriteSlice(Path.Combine(work, "data"), 1600, 100);
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in new[]
            {
                ServerProcess.CliPath, "pipeline", "run", "--name", "plain", "--data", data, "--epochs", "2", "--batch-size", "8",
                "--store", Path.Combine(work, "store"), "--work", Path.Combine(work, "runs"), "--plain",
            })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["LEPTON_TRAINER_PROGRESS_SECONDS"] = "0";
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await process.WaitForExitAsync(timeout.Token);
            string output = await stdout;
            string all = output + await stderr;
            string[] lines = output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

            Assert.True(process.ExitCode == 0, all);
            Assert.DoesNotContain('\u001b', output); // no terminal codes in a log
            Assert.Contains(lines, l => l.StartsWith("training (attempt 1): epoch 1/2", StringComparison.Ordinal));
            var batches = lines.Select(l => BatchLine().Match(l)).Where(m => m.Success)
                .Select(m => (Batch: Int(m, 1), Total: Int(m, 2), Epoch: Int(m, 3))).ToList();
            Assert.True(batches.Count >= 2, all);
            Assert.All(batches, b => Assert.InRange(b.Batch, 1, b.Total - 1));
            foreach (var epoch in batches.GroupBy(b => b.Epoch))
            {
                var numbers = epoch.Select(b => b.Batch).ToList();
                Assert.Equal(numbers.Order(), numbers); // progress only moves forward within an epoch
            }

            int header = Array.FindIndex(lines, l => Regex.IsMatch(l, @"^epoch\s+train loss\s+train acc\s+val loss\s+val acc\s+seconds\s+samples/s$"));
            Assert.True(header >= 0, all);
            Assert.Equal(["1", "2"], lines.Skip(header + 1).Take(2).Select(l => EpochRow().Match(" " + l).Groups[1].Value));
            Assert.Contains(lines, l => l.StartsWith("published plain version 1: test accuracy", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static int Int(Match m, int group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
}
