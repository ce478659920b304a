using System.Diagnostics;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Inference;
using Lepton.Inference.Decoding;
using Lepton.Training.Export;
using Lepton.Training.Models;
using Lepton.Training.Training;
using TorchSharp;
using Sequential = TorchSharp.Modules.Sequential;
using TensorDataset = Lepton.Training.Training.TensorDataset;
using static TorchSharp.torch;

namespace Lepton.Trainer;

/// <summary>
/// A generative job end to end: train the generator and discriminator adversarially (resuming from the
/// last checkpoint), write a sample grid per epoch (<c>samples/epoch-NNNN.png</c>), export the generator
/// to ONNX, check parity with TorchSharp, and measure its samples in the feature space of a classifier
/// trained for the purpose: Fréchet distance to the test images with its floor and ceiling, the
/// classifier's confidence and the spread of its classes. Writes model.onnx, metrics.json, history.json,
/// status.json like a classifier job.
/// </summary>
public sealed class GeneratorJob(TrainingJobSpec spec, TextWriter log)
{
    public const string SamplesFolder = "samples";
    public const string FinalSamples = RunFolder.Samples;
    public const int ParityLatents = 256;
    /// <summary>Generated images measured (at most; no more than the real test images).</summary>
    public const int QualityImages = 5000;
    public const int FeatureClassifierEpochs = 2;

    public GeneratorMetrics Run(CancellationToken cancellationToken = default) =>
        JobEnvelope.Run(spec, statusPath => RunCore(statusPath, cancellationToken), metrics => $"Fréchet distance {metrics.Quality.FrechetDistance:F2} (floor {metrics.Quality.FrechetFloor:F2}, noise {metrics.Quality.FrechetCeiling:F2})");

    /// <summary>The class a spec names (a label or an index), or null for all classes.</summary>
    public static int? ResolveClass(string? name, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (name is null)
        {
            return null;
        }

        for (int i = 0; i < labels.Count; i++)
        {
            if (string.Equals(labels[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return int.TryParse(name, out int index) && index >= 0 && index < labels.Count
            ? index
            : throw new JobSpecException([$"class '{name}' is neither a label ({string.Join(", ", labels)}) nor an index below {labels.Count}"]);
    }

    private GeneratorMetrics RunCore(string statusPath, CancellationToken cancellationToken)
    {
        var architecture = ArchitectureRegistry.Get(spec.Architecture);
        var dataset = MnistDataset.Load(spec.Data, spec.Labels);
        if (dataset.Image.Shape.Channels != 1)
        {
            throw new JobSpecException([$"'{architecture.Name}' generates gray images; the data has {dataset.Image.Shape.Channels} channels (prepare it with --channels 1)"]);
        }

        int? classIndex = ResolveClass(spec.Class, dataset.LabelNames);
        var allTrain = dataset.Train.Take(spec.TrainLimit);
        var allTest = dataset.Test.Take(spec.TestLimit);
        var ganTrain = OfClass(allTrain, classIndex);
        var realTest = OfClass(allTest, classIndex);
        var normalization = Normalization.Compute(allTrain.Images);
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.Spec), spec);
        int rows = allTrain.Images.Rows, columns = allTrain.Images.Columns;
        log.WriteLine($"data: {ganTrain.Count} training images{(classIndex is int c ? $" of class '{dataset.LabelNames[c]}'" : string.Empty)}, {realTest.Count} test images of {rows}x{columns}");

        torch.set_num_threads(spec.Threads ?? Environment.ProcessorCount);
        var modelOptions = new ModelOptions(dataset.LabelNames.Count, normalization, 1, rows, columns,
            LatentSize: spec.LatentSize ?? ModelOptions.DefaultLatentSize);
        var options = new TrainerOptions(spec.Epochs, spec.BatchSize, spec.LearningRate, spec.Seed, Augment: false, Patience: null, spec.Resume);
        var trainer = new GanTrainer(architecture, modelOptions, options, new Checkpoints(spec.Output));
        string samples = Path.Combine(spec.Output, SamplesFolder);
        Directory.CreateDirectory(samples);
        trainer.SamplesGenerated += (epoch, images) =>
        {
            byte[] png = Grid(images);
            File.WriteAllBytes(Path.Combine(samples, $"epoch-{epoch:D4}.png"), png);
            File.WriteAllBytes(Path.Combine(spec.Output, FinalSamples), png);
        };
        trainer.EpochCompleted += (record, history) =>
        {
            log.WriteLine($"epoch {record.Epoch}/{spec.Epochs}: generator loss {record.GeneratorLoss:F4}, discriminator loss {record.DiscriminatorLoss:F4} " +
                $"(discriminator accuracy {record.TrainAccuracy:F3}), {record.Seconds:F1} s, {record.SamplesPerSecond:F0} samples/s");
            WriteStatus(statusPath, JobState.Running, "training", record.Epoch, record, null);
        };

        using var train = new TensorDataset(ganTrain);
        WriteStatus(statusPath, JobState.Running, "training", 0, null, null);
        var clock = Stopwatch.StartNew();
        var outcome = trainer.Train(train, cancellationToken);
        using var generator = outcome.Generator;
        outcome.Discriminator.Dispose();
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.History), outcome.History);
        var trained = outcome.History.Epochs.Where(e => e.Epoch > outcome.History.ResumedFromEpoch).ToArray();

        WriteStatus(statusPath, JobState.Running, "exporting", spec.Epochs, null, null);
        string modelPath = Path.Combine(spec.Output, RunFolder.Model);
        IReadOnlyList<string> labels = classIndex is int only ? [dataset.LabelNames[only]] : dataset.LabelNames;
        OnnxExporter.SaveGenerator(generator, new GeneratorExportOptions(architecture.Name, modelOptions.LatentSize, labels, 1, rows, columns), modelPath);
        using var onnx = new OnnxGenerator(modelPath, spec.Threads);
        var parity = CheckParity(generator, onnx, spec.Seed);

        WriteStatus(statusPath, JobState.Running, "evaluating", spec.Epochs, null, null);
        var quality = MeasureQuality(onnx, allTrain, realTest, normalization, dataset.LabelNames, modelOptions);
        var metrics = new GeneratorMetrics(architecture.Name, ModelKind.Generator, modelOptions.LatentSize, [1, rows, columns], labels,
            classIndex is int k ? dataset.LabelNames[k] : null, ganTrain.Count, quality, parity,
            trained.Sum(e => e.Seconds), trained.Length == 0 ? 0 : trained.Average(e => e.SamplesPerSecond));
        LeptonJson.WriteFile(Path.Combine(spec.Output, RunFolder.Metrics), metrics);
        log.WriteLine($"Fréchet distance {quality.FrechetDistance:F2} (floor: test halves {quality.FrechetFloor:F2}; ceiling: noise {quality.FrechetCeiling:F2}); " +
            $"mean confidence {quality.MeanConfidence:F3}, class entropy {quality.ClassEntropy:F3}; parity: max |diff| {parity.MaxAbsDifference:E2}; {clock.Elapsed.TotalSeconds:F1} s");
        return metrics;
    }

    private static LabeledImages OfClass(LabeledImages data, int? classIndex) =>
        classIndex is int c ? data.Select(Enumerable.Range(0, data.Count).Where(i => data.Labels[i] == c).ToArray()) : data;

    private static byte[] Grid(Tensor images)
    {
        using var cpu = images.detach().cpu().contiguous();
        var shape = cpu.shape;
        return ImageGrid.ToPng(cpu.data<float>().ToArray(), (int)shape[0], (int)shape[1], (int)shape[2], (int)shape[3]);
    }

    /// <summary>TorchSharp against ONNX Runtime on the same seeded latent vectors: max |pixel diff|.</summary>
    public static ParityReport CheckParity(nn.Module<Tensor, Tensor> generator, OnnxGenerator onnx, int seed)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(onnx);
        float[] latents = OnnxGenerator.Latents(ParityLatents, onnx.LatentSize, seed);
        float[] expected;
        generator.eval();
        using (torch.no_grad())
        using (var input = torch.tensor(latents, [ParityLatents, onnx.LatentSize]))
        using (var output = generator.call(input))
        {
            expected = output.cpu().contiguous().data<float>().ToArray();
        }

        float[] actual = onnx.Run(latents, ParityLatents);
        double max = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        }

        return new ParityReport(ParityLatents, max, 0);
    }

    private GenerationQuality MeasureQuality(OnnxGenerator onnx, LabeledImages allTrain, LabeledImages realTest, Normalization normalization,
        IReadOnlyList<string> labelNames, ModelOptions modelOptions)
    {
        var featureArchitecture = SeedCnn.Definition;
        string folder = Path.Combine(spec.Output, "feature-classifier");
        using var trainSet = new TensorDataset(allTrain);
        var classifierTrainer = new ModelTrainer(featureArchitecture, modelOptions with { Normalization = normalization },
            new TrainerOptions(FeatureClassifierEpochs, 64, 0.001, spec.Seed, false, null, Resume: true), new Checkpoints(folder));
        using var classifier = classifierTrainer.Train(trainSet, null).Model;
        using var testSet = new TensorDataset(realTest);
        double classifierAccuracy = Evaluator.Evaluate(classifier, testSet).Accuracy;
        var reader = new FeatureClassifier((Sequential)classifier);

        using var scope = NewDisposeScope();
        int n = Math.Min(QualityImages, realTest.Count);
        var generated = torch.tensor(onnx.Generate(OnnxGenerator.Latents(n, onnx.LatentSize, spec.Seed + 1), n), [n, onnx.Channels, onnx.Height, onnx.Width]);
        using var noiseGenerator = new Generator((ulong)spec.Seed + 17UL);
        var noise = torch.rand([n, onnx.Channels, onnx.Height, onnx.Width], generator: noiseGenerator);
        var (realFeatures, _) = reader.Read(testSet.Pixels);
        var (generatedFeatures, generatedProbabilities) = reader.Read(generated);
        var (noiseFeatures, _) = reader.Read(noise);
        long half = realFeatures.shape[0] / 2;
        double floor = FrechetDistance.Compute(realFeatures.narrow(0, 0, half), realFeatures.narrow(0, half, half));
        double ceiling = FrechetDistance.Compute(noiseFeatures, realFeatures);
        double distance = FrechetDistance.Compute(generatedFeatures, realFeatures);

        double confidence = generatedProbabilities.max(1).values.mean().item<float>();
        long[] predicted = generatedProbabilities.argmax(1).data<long>().ToArray();
        var shares = new Dictionary<string, double>();
        double entropy = 0;
        for (int c = 0; c < labelNames.Count; c++)
        {
            double share = predicted.Count(p => p == c) / (double)n;
            shares[labelNames[c]] = share;
            entropy -= share > 0 ? share * Math.Log(share) : 0;
        }

        return new GenerationQuality($"{featureArchitecture.Name} (trained for the purpose, {FeatureClassifierEpochs} epochs; penultimate layer)",
            (int)realFeatures.shape[1], classifierAccuracy, n, realTest.Count, distance, floor, ceiling, confidence, shares,
            entropy / Math.Log(labelNames.Count));
    }

    private void WriteStatus(string path, JobState state, string stage, int epoch, EpochRecord? latest, string? message) =>
        JobEnvelope.WriteStatus(spec, path, state, stage, epoch, latest, message);
}
