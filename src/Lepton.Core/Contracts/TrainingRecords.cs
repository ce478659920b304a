using Lepton.Core.Data;

using Lepton.Core.Evaluation;

namespace Lepton.Core.Contracts;

/// <summary>One epoch of training, as history.json records it.</summary>
public sealed record EpochRecord(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double Seconds,
    double SamplesPerSecond,
    double LearningRate);

/// <summary>history.json: every epoch trained, and why training stopped.</summary>
public sealed record TrainingHistory(
    string Architecture,
    IReadOnlyList<EpochRecord> Epochs,
    int? BestEpoch,
    bool StoppedEarly,
    int ResumedFromEpoch);

public enum JobState
{
    Queued,
    Running,
    Succeeded,
    Failed,
}

/// <summary>status.json: what another process polls while the trainer runs.</summary>
public sealed record TrainingStatus(
    JobState State,
    string Stage,
    int Epoch,
    int TotalEpochs,
    EpochRecord? Latest,
    string? Message,
    DateTimeOffset UpdatedAt);

/// <summary>
/// metrics.json: the exported model's metrics on the test set measured with ONNX Runtime (the artifact
/// that will be served), the TorchSharp model's for comparison, and the parity between them.
/// </summary>
public sealed record TrainingMetrics(
    string Architecture,
    IReadOnlyList<string> Labels,
    Normalization Normalization,
    int TrainExamples,
    int ValidationExamples,
    ClassificationReport Test,
    double TorchTestAccuracy,
    ParityReport Parity,
    double TrainSeconds,
    double TrainSamplesPerSecond);

/// <summary>How closely ONNX Runtime reproduces TorchSharp on the same inputs.</summary>
public sealed record ParityReport(int Examples, double MaxAbsDifference, int PredictionMismatches);
