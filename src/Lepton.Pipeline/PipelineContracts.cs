using Lepton.Core.Evaluation;

namespace Lepton.Pipeline;

/// <summary>What a pipeline run is asked to do. Small and serializable: it carries paths, not data.</summary>
public sealed record PipelineRequest
{
    /// <summary>The registry name the trained model is published under.</summary>
    public required string ModelName { get; init; }

    /// <summary>A dataset folder with the four IDX files, or a .zip / .tar.gz archive holding them.</summary>
    public required string Dataset { get; init; }

    public string Architecture { get; init; } = "cnn";

    public int Epochs { get; init; } = 5;

    public int BatchSize { get; init; } = 64;

    public double LearningRate { get; init; } = 0.001;

    public int Seed { get; init; } = 42;

    public int? TrainLimit { get; init; }

    public int? TestLimit { get; init; }

    /// <summary>The least test accuracy that earns promotion to production.</summary>
    public double MinimumAccuracy { get; init; }

    /// <summary>How many times a failed training job is submitted in all (each resumes from its last checkpoint).</summary>
    public int MaxTrainingAttempts { get; init; } = 3;

    /// <summary>How often the job's status is polled.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long training may take in all before the run fails.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromHours(6);

    /// <summary>Testing aid: the first training attempt exits with a failure after this epoch (a crash to recover from).</summary>
    public int? CrashFirstAttemptAfterEpoch { get; init; }
}

/// <summary>
/// Training settings that travel with an upload: <c>datasets/{model}/lepton.json</c> beside the archive.
/// Every field is optional; what is given overrides the defaults.
/// </summary>
public sealed record UploadSettings
{
    public const string FileName = "lepton.json";

    public string? Architecture { get; init; }

    public int? Epochs { get; init; }

    public int? BatchSize { get; init; }

    public double? LearningRate { get; init; }

    public int? Seed { get; init; }

    public int? TrainLimit { get; init; }

    public int? TestLimit { get; init; }

    public double? MinimumAccuracy { get; init; }

    public PipelineRequest ApplyTo(PipelineRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request with
        {
            Architecture = Architecture ?? request.Architecture,
            Epochs = Epochs ?? request.Epochs,
            BatchSize = BatchSize ?? request.BatchSize,
            LearningRate = LearningRate ?? request.LearningRate,
            Seed = Seed ?? request.Seed,
            TrainLimit = TrainLimit ?? request.TrainLimit,
            TestLimit = TestLimit ?? request.TestLimit,
            MinimumAccuracy = MinimumAccuracy ?? request.MinimumAccuracy,
        };
    }
}

/// <summary>A validated dataset in canonical form, identified by the SHA-256 of its content.</summary>
public sealed record PreparedDataset(string Version, string Folder, int TrainExamples, int TestExamples, IReadOnlyList<string> Labels, bool Reused)
{
    /// <summary>Where the canonical folder is in the artifact store.</summary>
    public string StorePath => $"{PipelineWorkspace.PreparedContainer}/{Version}";
}

/// <summary>A training job on a compute target.</summary>
/// <param name="OutputFolder">Where the trainer writes: a local folder, or the blob folder a cloud job mounts.</param>
/// <param name="OutputStorePath">The same folder as an artifact-store path (<c>runs/{runId}</c>) when it is in the store.</param>
public sealed record TrainingJobHandle(string Target, string JobId, string OutputFolder, int Attempt, string? OutputStorePath = null);

/// <summary>The states the pipeline distinguishes, whatever the compute target calls them.</summary>
public enum TrainingJobState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

/// <summary>A poll of a training job: its state, progress and, when it ended badly, why.</summary>
public sealed record TrainingJobStatus(TrainingJobState State, int Epoch, int TotalEpochs, double? ValidationAccuracy, string? Message)
{
    public bool IsTerminal => State is TrainingJobState.Succeeded or TrainingJobState.Failed or TrainingJobState.Canceled;
}

/// <summary>What the orchestration shows while it runs (its custom status).</summary>
public sealed record PipelineProgress(string Stage, int Attempt, int Epoch, int TotalEpochs, double? ValidationAccuracy, string? Message);

/// <summary>Input of the evaluate activity.</summary>
public sealed record EvaluationRequest(TrainingJobHandle Job, PreparedDataset Dataset, int? TestLimit);

/// <summary>Input of the publish activity.</summary>
public sealed record PublishRequest(string ModelName, TrainingJobHandle Job, PreparedDataset Dataset, ClassificationReport Evaluation, string RunId);

/// <summary>Input of the promote activity. A generator is gated on <paramref name="FrechetDistance"/> (lower is
/// better) against <paramref name="MaximumFrechetDistance"/> instead of accuracy.</summary>
public sealed record PromotionRequest(
    string ModelName,
    int Version,
    double Accuracy,
    double MinimumAccuracy,
    double? FrechetDistance = null,
    double? MaximumFrechetDistance = null);

/// <summary>The quality gate's decision and why.</summary>
public sealed record PromotionDecision(bool Promoted, int? PreviousProduction, string Reason);

/// <summary>How a run ended.</summary>
public enum PipelineOutcome
{
    Published,
    Canceled,
}

/// <summary>The result of a pipeline run.</summary>
public sealed record PipelineResult(
    PipelineOutcome Outcome,
    string ModelName,
    int? Version,
    double? Accuracy,
    bool Promoted,
    string Reason,
    string DatasetVersion,
    string RunId,
    int TrainingAttempts);
