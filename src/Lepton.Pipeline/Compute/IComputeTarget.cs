namespace Lepton.Pipeline.Compute;

/// <summary>Training job specification handed to a compute target.</summary>
public sealed record TrainingJobSubmission(
    string RunId,
    int Attempt,
    string DatasetFolder,
    string DatasetStorePath,
    string Architecture,
    int Epochs,
    int BatchSize,
    double LearningRate,
    int Seed,
    int? TrainLimit,
    int? TestLimit,
    int? CrashAfterEpoch);

/// <summary>Where training runs: a local trainer process, or an Azure Machine Learning command job.</summary>
public interface IComputeTarget
{
    string Name { get; }

    /// <summary>Starts the job; a job for the same run id continues from the run's last checkpoint.</summary>
    Task<TrainingJobHandle> SubmitAsync(TrainingJobSubmission submission, CancellationToken cancellationToken = default);

    Task<TrainingJobStatus> GetStatusAsync(TrainingJobHandle job, CancellationToken cancellationToken = default);

    Task CancelAsync(TrainingJobHandle job, CancellationToken cancellationToken = default);
}
