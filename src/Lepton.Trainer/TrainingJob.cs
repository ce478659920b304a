using System.Diagnostics;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Core.Evaluation;
using Lepton.Inference;
using Lepton.Training.Export;
using Lepton.Training.Models;
using Lepton.Training.Training;
using Lepton.Training.Transfer;
using TorchSharp;

namespace Lepton.Trainer;

/// <summary>
/// One training job end to end: validate the spec, load and split the data, train (resuming from the
/// last checkpoint), export to ONNX, evaluate the exported file with ONNX Runtime on the test set,
/// check parity with TorchSharp, and write model.onnx, metrics.json, history.json and status.json.
/// </summary>
public sealed class TrainingJob(TrainingJobSpec spec, TextWriter log)
{
    /// <summary>Runs the job; throws <see cref="JobSpecException"/> or <see cref="DatasetFormatException"/> for bad input.</summary>
    public TrainingMetrics Run(CancellationToken cancellationToken = default) =>
        JobEnvelope.Run(spec, statusPath => RunCore(statusPath, cancellationToken), metrics => $"test accuracy {metrics.Test.Accuracy:F4} (ONNX Runtime)");

    private TrainingMetrics RunCore(string statusPath, CancellationToken cancellationToken)
    {
        if (Core.Data.Tables.TabularDataset.IsTabular(spec.Data))
        {
            return new RowTrainingJob(spec, log).RunCore(statusPath, cancellationToken);
        }

        string name;
        try
        {
            name = KnownArchitectures.Resolve(spec.Architecture, DataKind.Image);
        }
        catch (ArgumentException ex)
        {
            throw new JobSpecException([ex.Message]);
        }

        var architecture = ArchitectureRegistry.Get(name);
        bool fineTune = spec.FineTune == true;
        if (fineTune && !architecture.IsTransfer)
        {
            throw new JobSpecException([$"fine-tune trains the last stage of the pretrained backbone of 'transfer': it does not apply to '{architecture.Name}' (use --arch transfer, or leave out --fine-tune)"]);
        }

        if (fineTune)
        {
            // The same family and head, with the backbone's last stage in front of it, trained together.
            architecture = architecture with { Create = TransferHead.CreateFineTuned, Variant = $"fine-tuned {TransferBackbone.FineTunedStage}" };
        }
        if (architecture.IsGenerator)
        {
            throw new JobSpecException([$"'{architecture.Name}' is a generator: it is trained by {nameof(GeneratorJob)}"]);
        }

        // A transfer family trains on what the frozen part computed once per image: its one augmentation is the
        // training images mirrored left-right, computed (and cached) once too.
        bool mirror = architecture.IsTransfer && spec.Augment == true;
        if (mirror && spec.Augmentations is { } asked && !asked.SequenceEqual(["flip"]))
        {
            throw new JobSpecException([$"augmentations: '{architecture.Name}' trains on features computed once per image; " +
                $"the one augmentation it takes is flip (the mirrored training images featurized once too), not {string.Join(", ", asked)}"]);
        }

        var dataset = MnistDataset.Load(spec.Data, spec.Labels);
        var image = dataset.Image;
        CheckImages(image);
        var all = dataset.Train.Take(spec.TrainLimit);
        var (trainIndices, validationIndices) = StratifiedSplit.Split(all.Labels, spec.ValidationFraction, spec.Seed);
        var trainSet = all.Select(trainIndices);
        var validationSet = all.Select(validationIndices);
        var testSet = dataset.Test.Take(spec.TestLimit);
        var normalization = Normalization.Compute(trainSet.Images);
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.Spec), spec);
        log.WriteLine($"data: {trainSet.Count} train, {validationSet.Count} validation, {testSet.Count} test images of {image.Shape} ({image.Resize}, {image.Polarity}), {dataset.LabelNames.Count} classes; mean {normalization.Mean:F4}, std {normalization.Std:F4}");

        torch.set_num_threads(spec.Threads ?? Environment.ProcessorCount);
        var modelOptions = new ModelOptions(dataset.LabelNames.Count, normalization, image.Shape.Channels, image.Shape.Height, image.Shape.Width);
        var options = new TrainerOptions(spec.Epochs, spec.BatchSize, spec.LearningRate, spec.Seed,
            !architecture.IsTransfer && (spec.Augment ?? architecture.UsesAugmentation), spec.Patience, spec.Resume, spec.Schedule ?? architecture.Schedule, spec.Augmentations);
        var trainer = new ModelTrainer(architecture, modelOptions, options, new Checkpoints(spec.Output));
        int? crashAfter = int.TryParse(Environment.GetEnvironmentVariable(LeptonSettings.TrainerCrashAfterEpoch), out int n) ? n : null;
        EpochRecord? latest = null;
        trainer.EpochCompleted += (record, history) =>
        {
            if (record.Epoch == crashAfter)
            {
                throw new InjectedCrashException($"injected crash after epoch {record.Epoch} ({LeptonSettings.TrainerCrashAfterEpoch})");
            }

            log.WriteLine($"epoch {record.Epoch}/{spec.Epochs}: train loss {record.TrainLoss:F4} acc {record.TrainAccuracy:F4}, " +
                $"validation loss {record.ValidationLoss:F4} acc {record.ValidationAccuracy:F4}, {record.Seconds:F1} s, {record.SamplesPerSecond:F0} samples/s");
            WriteStatus(statusPath, JobState.Running, "training", record.Epoch, record, null);
            latest = record;
        };

        // Progress inside an epoch, for whoever polls status.json: at most every ProgressInterval.
        var sinceStatus = Stopwatch.StartNew();
        var progressInterval = ProgressInterval();
        trainer.BatchCompleted += batch =>
        {
            if (sinceStatus.Elapsed >= progressInterval && batch.Batch < batch.TotalBatches)
            {
                JobEnvelope.WriteStatus(spec, statusPath, JobState.Running, "training", batch.Epoch - 1, latest, null, batch);
                sinceStatus.Restart();
            }
        };

        var device = SelectDevice(spec.Device);
        log.WriteLine($"device: {device.type}");
        var clock = Stopwatch.StartNew();
        TensorDataset train, validation, test;
        if (architecture.IsTransfer)
        {
            // The backbone is frozen: each image's features once (cached by content), the head trains on those. With
            // fine-tune, the frozen part ends before the last stage: its activations are cached, stage and head train.
            WriteStatus(statusPath, JobState.Running, "featurizing", 0, null, null);
            using var featurizer = new TransferFeatures(image.Shape, spec.Threads, stageInput: fineTune);
            long[] shape = fineTune ? [StageGraph.Channels, StageGraph.Size, StageGraph.Size] : [TransferBackbone.Features];
            float[] allFeatures = featurizer.Compute(all.Images, log);
            validation = Rows(allFeatures, validationIndices, shape, validationSet.Labels, device);
            if (mirror)
            {
                // Each training image and its mirror image (validation and test as they are).
                float[] both = [.. allFeatures, .. featurizer.Compute(all.Images.MirroredLeftRight(), log)];
                train = Rows(both, [.. trainIndices, .. trainIndices.Select(i => i + all.Count)], shape, [.. trainSet.Labels, .. trainSet.Labels], device);
            }
            else
            {
                train = Rows(allFeatures, trainIndices, shape, trainSet.Labels, device);
            }

            allFeatures = [];
            test = Rows(featurizer.Compute(testSet.Images, log), null, shape, testSet.Labels, device);
        }
        else
        {
            train = new TensorDataset(trainSet, device: device);
            validation = new TensorDataset(validationSet, device: device);
            test = new TensorDataset(testSet, device: device);
        }

        using var trainData = train;
        using var validationData = validation;
        using var testData = test;
        WriteStatus(statusPath, JobState.Running, "training", 0, null, null);
        var outcome = trainer.Train(train, validation, cancellationToken);
        using var model = outcome.Model;
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.History), outcome.History);
        var trained = outcome.History.Epochs.Where(e => e.Epoch > outcome.History.ResumedFromEpoch).ToArray();
        double trainSeconds = trained.Sum(e => e.Seconds);
        double samplesPerSecond = trained.Length == 0 ? 0 : trained.Average(e => e.SamplesPerSecond);

        var lastEpoch = outcome.History.Epochs.Count > 0 ? outcome.History.Epochs[^1] : null;
        WriteStatus(statusPath, JobState.Running, "exporting", spec.Epochs, lastEpoch, null);
        string modelPath = Path.Combine(spec.Output, RunFolder.Model);
        var exportOptions = OnnxExportOptions.For(architecture.Name, dataset.LabelNames, normalization, image);
        if (architecture.IsTransfer)
        {
            OnnxExporter.SaveTransfer(model, exportOptions, modelPath);
        }
        else
        {
            OnnxExporter.Save(model, exportOptions, modelPath);
        }

        WriteStatus(statusPath, JobState.Running, "evaluating", spec.Epochs, lastEpoch, null);
        var torchResult = Evaluator.Evaluate(model, test);
        using var onnx = new OnnxClassifier(modelPath, spec.Threads);
        float[] onnxScores = onnx.Score(testSet.Images);
        var report = ClassificationReport.Compute(testSet.Labels, ClassificationReport.ArgMax(onnxScores, onnx.Classes), dataset.LabelNames);
        var parity = Parity.Compare(torchResult.Scores, onnxScores, onnx.Classes);
        var metrics = new TrainingMetrics(architecture.Name, dataset.LabelNames, normalization, trainSet.Count, validationSet.Count,
            report, torchResult.Accuracy, parity, trainSeconds, samplesPerSecond);
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.Predictions), TestPredictions.FromLogits(testSet.Labels, onnxScores, onnx.Classes));
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.Metrics), metrics);
        log.WriteLine($"test accuracy {report.Accuracy:F4} (ONNX Runtime, {report.Examples} images), TorchSharp {torchResult.Accuracy:F4}; " +
            $"parity: max |diff| {parity.MaxAbsDifference:E2}, {parity.PredictionMismatches} prediction mismatches; {clock.Elapsed.TotalSeconds:F1} s");
        return metrics;
    }

    /// <summary>The rows of a feature matrix [N, ...<paramref name="shape"/>] at the given indices (null: all), in that order, as a dataset.</summary>
    private static TensorDataset Rows(float[] features, int[]? indices, long[] shape, byte[] labels, torch.Device device)
    {
        long size = shape.Aggregate(1L, (a, b) => a * b);
        long count = features.LongLength / size;
        using var all = torch.tensor(features, [count, .. shape]);
        var rows = indices is null ? all.clone() : all.index_select(0, torch.tensor(indices.Select(i => (long)i).ToArray()));
        if (rows.device.type != device.type)
        {
            using var host = rows;
            rows = host.to(device);
        }

        return new TensorDataset(rows, labels);
    }

    /// <summary>The data as prepared must be what the spec asks for (the trainer does not resize).</summary>
    private void CheckImages(ImageInputSpec image)
    {
        var errors = new List<string>();
        if (spec.Channels is int channels && channels != image.Shape.Channels)
        {
            errors.Add($"channels {channels}: the data at {spec.Data} was prepared with {image.Shape.Channels} (prepare it again with --channels {channels})");
        }

        if (spec.ImageSize is int size && (size != image.Shape.Height || size != image.Shape.Width))
        {
            errors.Add($"image size {size}: the data at {spec.Data} was prepared at {image.Shape.Height}x{image.Shape.Width} (prepare it again with --image-size {size})");
        }

        if (errors.Count > 0)
        {
            throw new JobSpecException(errors);
        }
    }

    private static torch.Device SelectDevice(string device) => device switch
    {
        "cpu" => torch.CPU,
        "cuda" when torch.cuda.is_available() => torch.CUDA,
        "cuda" => throw new JobSpecException(["device cuda: CUDA is not available (this TorchSharp build or machine has no GPU)"]),
        _ => torch.cuda.is_available() ? torch.CUDA : torch.CPU,
    };

    /// <summary>How often batch progress goes to status.json: 2 s, or LEPTON_TRAINER_PROGRESS_SECONDS.</summary>
    private static TimeSpan ProgressInterval() =>
        double.TryParse(Environment.GetEnvironmentVariable(LeptonSettings.TrainerProgressSeconds), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out double seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : TimeSpan.FromSeconds(2);

    private void WriteStatus(string path, JobState state, string stage, int epoch, EpochRecord? latest, string? message) =>
        JobEnvelope.WriteStatus(spec, path, state, stage, epoch, latest, message);
}

/// <summary>The crash a test asked for (<see cref="LeptonSettings.TrainerCrashAfterEpoch"/>), after the epoch's checkpoint.</summary>
public sealed class InjectedCrashException(string message) : Exception(message);

/// <summary>A job spec with problems; the message lists them all.</summary>
public sealed class JobSpecException(IReadOnlyList<string> errors)
    : Exception("invalid job spec: " + string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>Compares two score matrices of the same inputs.</summary>
public static class Parity
{
    public static ParityReport Compare(float[] expected, float[] actual, int classes)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        if (expected.Length != actual.Length)
        {
            throw new ArgumentException($"{expected.Length} scores against {actual.Length}");
        }

        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        }

        var a = ClassificationReport.ArgMax(expected, classes);
        var b = ClassificationReport.ArgMax(actual, classes);
        return new ParityReport(a.Length, max, a.Zip(b).Count(p => p.First != p.Second));
    }
}
