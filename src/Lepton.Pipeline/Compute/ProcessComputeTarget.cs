using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Lepton.Core.Contracts;

namespace Lepton.Pipeline.Compute;

/// <summary>
/// Runs the trainer as a child process on this machine (the default for local runs): one output
/// folder per run under <c>{work}/runs/{runId}</c>, so a resubmitted job resumes from the run's last
/// checkpoint; the trainer's status.json and exit code give the job's state; cancel kills the process.
/// The trainer gets this process's pid (<c>--parent-pid</c>) and stops when it is gone; it holds a lock
/// on its folder, so a second trainer on the same run refuses to start (exit code 5).
/// </summary>
public sealed class ProcessComputeTarget(TrainerCommand trainer, string workFolder, TimeProvider? clock = null) : IComputeTarget, IDisposable
{
    private readonly ConcurrentDictionary<string, Process> _processes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _exitCodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _canceled = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public const string TargetName = "process";

    public string Name => TargetName;

    public Task<TrainingJobHandle> SubmitAsync(TrainingJobSubmission submission, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(submission);
        string output = RunFolder.Under(Path.GetFullPath(workFolder), submission.RunId).Path;
        Directory.CreateDirectory(output);

        // The job contract: job.json in the run's folder, read by the trainer (which rewrites it with the
        // effective spec); only the process option --parent-pid is on the command line.
        string spec = new RunFolder(output).SpecPath;
        // Trials of a sweep that train together share this machine's cores (unless the spec sets threads).
        LeptonJson.WriteFile(spec, submission.SpecOn(Environment.ProcessorCount) with { Data = submission.DatasetFolder, Output = output });
        var args = new List<string>
        {
            "train", "--spec", spec,
            "--parent-pid", I(Environment.ProcessId), // the trainer dies with this process, however it ends
        };

        var environment = new Dictionary<string, string>();
        if (submission.CrashAfterEpoch is int crash && submission.Attempt == 1)
        {
            environment[LeptonSettings.TrainerCrashAfterEpoch] = I(crash);
        }

        var process = trainer.Start(args, environment, new RunFolder(output).TrainerLogPath);
        string jobId = submission.JobName;
        _processes[jobId] = process;
        return Task.FromResult(new TrainingJobHandle(Name, jobId, output, submission.Attempt));
    }

    public Task<TrainingJobStatus> GetStatusAsync(TrainingJobHandle job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        var status = ReadStatus(job.OutputFolder);
        if (_canceled.ContainsKey(job.JobId))
        {
            return Task.FromResult(new TrainingJobStatus(TrainingJobState.Canceled, status?.Epoch ?? 0, status?.TotalEpochs ?? 0, null, "canceled"));
        }

        int epoch = status?.Epoch ?? 0;
        int total = status?.TotalEpochs ?? 0;
        double? accuracy = status?.Latest?.ValidationAccuracy;
        int? exitCode = ExitCode(job.JobId);
        if (exitCode is null && !_processes.ContainsKey(job.JobId))
        {
            // Not started by this process (a restarted host): the status file is all there is.
            return Task.FromResult(status?.State switch
            {
                JobState.Succeeded => new TrainingJobStatus(TrainingJobState.Succeeded, epoch, total, accuracy, status.Message),
                JobState.Failed => new TrainingJobStatus(TrainingJobState.Failed, epoch, total, accuracy, status.Message),
                _ => new TrainingJobStatus(TrainingJobState.Failed, epoch, total, accuracy, "the trainer process is gone"),
            });
        }

        if (exitCode is null)
        {
            return Task.FromResult(new TrainingJobStatus(status is null ? TrainingJobState.Queued : TrainingJobState.Running, epoch, total, accuracy, status?.Stage));
        }

        if (exitCode == 0 && status?.State == JobState.Succeeded)
        {
            return Task.FromResult(new TrainingJobStatus(TrainingJobState.Succeeded, epoch, total, accuracy, status.Message));
        }

        string reason = status?.State == JobState.Failed && status.Message is not null
            ? status.Message
            : $"the trainer exited with code {exitCode}: {LogTail(job.OutputFolder)}";
        return Task.FromResult(new TrainingJobStatus(TrainingJobState.Failed, epoch, total, accuracy, reason));
    }

    public async Task CancelAsync(TrainingJobHandle job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        _canceled[job.JobId] = true;
        if (_processes.TryGetValue(job.JobId, out var process) && !process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // killed; the next status poll sees it gone
            }
        }
    }

    /// <summary>Half the cores (at least one): each trainer uses several threads.</summary>
    public Task<int> CapacityAsync(CancellationToken cancellationToken = default) => Task.FromResult(Math.Max(1, Environment.ProcessorCount / 2));

    /// <summary>The exit code of a trainer this target started, once it has exited (its process is then released).</summary>
    private int? ExitCode(string jobId)
    {
        if (_exitCodes.TryGetValue(jobId, out int code))
        {
            return code;
        }

        if (!_processes.TryGetValue(jobId, out var process) || !process.HasExited)
        {
            return null;
        }

        process.WaitForExit(); // the output is drained into the log before the state is read
        code = _exitCodes.GetOrAdd(jobId, process.ExitCode);
        if (_processes.TryRemove(jobId, out var exited))
        {
            exited.Dispose();
        }

        return code;
    }

    /// <summary>Releases the processes of trainers still tracked (it does not stop them: <see cref="StopAll"/> does).</summary>
    public void Dispose()
    {
        foreach (var jobId in _processes.Keys)
        {
            if (_processes.TryRemove(jobId, out var process))
            {
                process.Dispose();
            }
        }
    }

    /// <summary>Kills every trainer this target started (a signal to the host: no orchestration needed), waiting up to <paramref name="timeout"/>.</summary>
    public void StopAll(TimeSpan timeout)
    {
        var deadline = _clock.GetUtcNow() + timeout;
        foreach (var (jobId, process) in _processes)
        {
            _canceled[jobId] = true;
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(TimeSpan.FromMilliseconds(Math.Max(0, (deadline - _clock.GetUtcNow()).TotalMilliseconds)));
                }
            }
            catch (InvalidOperationException)
            {
                // already gone
            }
        }
    }

    private static TrainingStatus? ReadStatus(string output)
    {
        string path = new RunFolder(output).StatusPath;
        try
        {
            return File.Exists(path) ? LeptonJson.ReadFile<TrainingStatus>(path) : null;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            return null; // being replaced right now; the next poll reads it
        }
    }

    private static string LogTail(string output)
    {
        string path = new RunFolder(output).TrainerLogPath;
        if (!File.Exists(path))
        {
            return "no log";
        }

        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).TakeLast(3);
        return string.Join(" | ", lines);
    }

    private static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
}
