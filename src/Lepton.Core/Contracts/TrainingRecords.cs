using Lepton.Core.Data;

using Lepton.Core.Evaluation;

namespace Lepton.Core.Contracts;

/// <summary>
/// One epoch of training, as history.json records it. For an adversarial family the train loss is the
/// generator's, the train accuracy the discriminator's on real and generated images, and both losses are
/// given by name.
/// </summary>
public sealed record EpochRecord(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy,
    double Seconds,
    double SamplesPerSecond,
    double LearningRate,
    double? GeneratorLoss = null,
    double? DiscriminatorLoss = null);

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

/// <summary>
/// status.json: what another process polls while the trainer runs. <see cref="Batch"/> is the epoch in
/// progress (written every few seconds while training), absent between epochs and in older trainers.
/// </summary>
public sealed record TrainingStatus(
    JobState State,
    string Stage,
    int Epoch,
    int TotalEpochs,
    EpochRecord? Latest,
    string? Message,
    DateTimeOffset UpdatedAt,
    BatchProgress? Batch = null);

/// <summary>Progress inside an epoch: batches done of the epoch's total, the running mean loss, throughput so far.</summary>
public sealed record BatchProgress(int Epoch, int Batch, int TotalBatches, double RunningLoss, double SamplesPerSecond, int BatchSize);

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
    double TrainSamplesPerSecond)
{
    /// <summary>Table models: each column's permutation importance on the test split (accuracy lost when its values are shuffled), largest first.</summary>
    public IReadOnlyList<ColumnImportance>? ColumnImportance { get; init; }

    /// <summary>Text models: the tokenizer's vocabulary size and ids per text.</summary>
    public string? Tokenizer { get; init; }
}

/// <summary>How much test accuracy a table model loses when one column's values are shuffled across the rows.</summary>
public sealed record ColumnImportance(string Column, double AccuracyDrop);

/// <summary>How closely ONNX Runtime reproduces TorchSharp on the same inputs.</summary>
public sealed record ParityReport(int Examples, double MaxAbsDifference, int PredictionMismatches);

/// <summary>
/// metrics.json of a generator: the Fréchet distance between features of generated and real test
/// images (lower is better) beside its floor (real test images against other real ones) and ceiling
/// (uniform noise), what the feature classifier says of the generated images, and ONNX parity.
/// </summary>
public sealed record GeneratorMetrics(
    string Architecture,
    ModelKind Kind,
    int LatentSize,
    IReadOnlyList<int> ImageShape,
    IReadOnlyList<string> Labels,
    string? Class,
    int TrainExamples,
    GenerationQuality Quality,
    ParityReport Parity,
    double TrainSeconds,
    double TrainSamplesPerSecond);

/// <summary>
/// Sample quality measured in the penultimate-layer feature space of a classifier.
/// </summary>
/// <param name="FrechetDistance">Generated images (through ONNX Runtime) against the real test images.</param>
/// <param name="FrechetFloor">One half of the real test images against the other half.</param>
/// <param name="FrechetCeiling">Uniform noise images against the real test images.</param>
/// <param name="MeanConfidence">The classifier's mean top probability on generated images.</param>
/// <param name="ClassShares">The share of generated images the classifier puts in each class.</param>
/// <param name="ClassEntropy">Entropy of <paramref name="ClassShares"/> over its maximum (1: all classes equally).</param>
public sealed record GenerationQuality(
    string FeatureClassifier,
    int FeatureSize,
    double FeatureClassifierTestAccuracy,
    int GeneratedImages,
    int RealImages,
    double FrechetDistance,
    double FrechetFloor,
    double FrechetCeiling,
    double MeanConfidence,
    IReadOnlyDictionary<string, double> ClassShares,
    double ClassEntropy);
