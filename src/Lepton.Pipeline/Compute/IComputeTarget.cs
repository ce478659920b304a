using Lepton.Core.Contracts;

namespace Lepton.Pipeline.Compute;

/// <summary>A training job handed to a compute target.</summary>
/// <param name="RunId">The run: its output folder (<c>runs/{runId}</c>) is shared by every attempt, so an attempt resumes from the last checkpoint.</param>
/// <param name="JobName">Unique per pipeline instance and attempt (a re-run after failure gets new names).</param>
/// <param name="Spec">The job without <c>data</c> and <c>output</c>: the target sets them, writes it as job.json and runs the trainer with <c>--spec</c>.</param>
public sealed record TrainingJobSubmission(
    string RunId,
    string JobName,
    int Attempt,
    string DatasetFolder,
    string DatasetStorePath,
    TrainingJobSpec Spec,
    int? CrashAfterEpoch = null);

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
