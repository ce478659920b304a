using Lepton.Core.Contracts;

namespace Lepton.Pipeline.Compute;

/// <summary>A training job handed to a compute target.</summary>
/// <param name="RunId">The run: its output folder (<c>runs/{runId}</c>) is shared by every attempt, so an attempt resumes from the last checkpoint.</param>
/// <param name="JobName">Unique per pipeline instance and attempt (a re-run after failure gets new names).</param>
/// <param name="Spec">The job without <c>data</c> and <c>output</c>: the target sets them, writes it as job.json and runs the trainer with <c>--spec</c>.</param>
/// <param name="SharedBy">
/// How many jobs of the same sweep train at once: a target that runs them on one machine gives each
/// <see cref="ThreadsPerJob"/> threads when <see cref="TrainingJobSpec.Threads"/> is not set (null: the job is alone).
/// </param>
public sealed record TrainingJobSubmission(
    string RunId,
    string JobName,
    int Attempt,
    string DatasetFolder,
    string DatasetStorePath,
    TrainingJobSpec Spec,
    int? CrashAfterEpoch = null,
    int? SharedBy = null)
{
    /// <summary>The threads of one of <paramref name="sharedBy"/> jobs on <paramref name="cores"/> cores: <c>max(1, cores / sharedBy)</c>.</summary>
    public static int ThreadsPerJob(int cores, int sharedBy) => Math.Max(1, cores / Math.Max(1, sharedBy));

    /// <summary>The spec as a machine of <paramref name="cores"/> cores runs it: its threads, else its share of the cores when shared.</summary>
    public TrainingJobSpec SpecOn(int cores) =>
        Spec.Threads is null && SharedBy is int k and > 1 ? Spec with { Threads = ThreadsPerJob(cores, k) } : Spec;
}

/// <summary>Where training runs: a local trainer process, or an Azure Machine Learning command job.</summary>
public interface IComputeTarget
{
    string Name { get; }

    /// <summary>Starts the job; a job for the same run id continues from the run's last checkpoint.</summary>
    Task<TrainingJobHandle> SubmitAsync(TrainingJobSubmission submission, CancellationToken cancellationToken = default);

    Task<TrainingJobStatus> GetStatusAsync(TrainingJobHandle job, CancellationToken cancellationToken = default);

    Task CancelAsync(TrainingJobHandle job, CancellationToken cancellationToken = default);

    /// <summary>How many jobs it runs at once: a sweep's default for how many trials train together.</summary>
    Task<int> CapacityAsync(CancellationToken cancellationToken = default);
}
