using System.Diagnostics;
using Lepton.CommandLine;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Training.Models;
using Lepton.Training.Training;
using TorchSharp;

namespace Lepton.Trainer;

/// <summary>The numbers one benchmark run measured.</summary>
public sealed record BenchmarkResult(
    string Architecture,
    int Epochs,
    int BatchSize,
    int Threads,
    int TrainExamples,
    double BareLoopSamplesPerSecond,
    double TrainerSamplesPerSecond,
    double TrainerToBareRatio,
    double TestAccuracyOnnx,
    double TestAccuracyTorch,
    double ParityMaxAbsDifference,
    double WallSeconds);

/// <summary>
/// Trains on the full dataset and reports the exported model's test accuracy (ONNX Runtime), wall time
/// and samples/s, beside a bare TorchSharp loop (same model, batch size and data, no shuffling,
/// bookkeeping or validation) timed for one epoch before and one after the job in the same process,
/// so the trainer's overhead is measured against the faster of the two.
/// </summary>
public static class Benchmark
{
    public static int Run(TrainingJobSpec spec, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(log);
        var errors = spec.Validate(ArchitectureRegistry.Names);
        if (errors.Count > 0)
        {
            throw new JobSpecException(errors);
        }

        if (ArchitectureRegistry.Get(spec.Architecture).IsGenerator)
        {
            throw new UsageException($"bench measures classifiers; '{spec.Architecture}' is a generator: use train");
        }

        spec = spec with { Resume = false };
        if (Directory.Exists(new RunFolder(spec.Output).CheckpointsPath))
        {
            Directory.Delete(new RunFolder(spec.Output).CheckpointsPath, recursive: true);
        }

        int threads = spec.Threads ?? Environment.ProcessorCount;
        torch.set_num_threads(threads);
        var architecture = ArchitectureRegistry.Get(spec.Architecture);
        var dataset = MnistDataset.Load(spec.Data, spec.Labels);
        var all = dataset.Train.Take(spec.TrainLimit);
        var (trainIndices, _) = StratifiedSplit.Split(all.Labels, spec.ValidationFraction, spec.Seed);
        var trainSet = all.Select(trainIndices);
        double bareBefore = BareLoop(architecture, trainSet, dataset.LabelNames.Count, spec);
        log.WriteLine($"bare TorchSharp loop: {bareBefore:F0} samples/s ({spec.Architecture}, batch {spec.BatchSize}, {threads} threads)");

        var clock = Stopwatch.StartNew();
        var metrics = new TrainingJob(spec, log).Run();
        double wall = clock.Elapsed.TotalSeconds;

        // Timed again after the job; the faster of the two is the baseline, so the ratio is not flattered.
        double bareAfter = BareLoop(architecture, trainSet, dataset.LabelNames.Count, spec);
        log.WriteLine($"bare TorchSharp loop again: {bareAfter:F0} samples/s");
        double bare = Math.Max(bareBefore, bareAfter);
        // Steady state: the median epoch, so the first epoch's warm-up (the bare loop's is excluded too) and
        // a noisy epoch do not decide the comparison.
        var history = LeptonJson.ReadFile<TrainingHistory>(Path.Combine(spec.Output, RunFolder.History));
        double trainer = Median(history.Epochs.Select(e => e.SamplesPerSecond));
        var result = new BenchmarkResult(spec.Architecture, spec.Epochs, spec.BatchSize, threads, metrics.TrainExamples,
            bare, trainer, trainer / bare,
            metrics.Test.Accuracy, metrics.TorchTestAccuracy, metrics.Parity.MaxAbsDifference, wall);
        LeptonJson.WriteFile(Path.Combine(spec.Output, "bench.json"), result);
        log.WriteLine("| arch | epochs | batch | test acc (ONNX Runtime) | wall s | trainer samples/s (median epoch) | bare loop samples/s (best of 2) | ratio |");
        log.WriteLine($"| {result.Architecture} | {result.Epochs} | {result.BatchSize} | {result.TestAccuracyOnnx:F4} | {result.WallSeconds:F0} | {result.TrainerSamplesPerSecond:F0} | {result.BareLoopSamplesPerSecond:F0} | {result.TrainerToBareRatio:F3} |");
        return 0;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>One epoch of the plainest loop: consecutive slices, forward, loss, backward, step.</summary>
    private static double BareLoop(Architecture architecture, LabeledImages trainSet, int classes, TrainingJobSpec spec)
    {
        torch.manual_seed(spec.Seed);
        using var data = new TensorDataset(trainSet);
        using var model = architecture.Create(new ModelOptions(classes, Normalization.Compute(trainSet.Images), trainSet.Images.Channels, trainSet.Images.Rows, trainSet.Images.Columns));
        using var optimizer = torch.optim.Adam(model.parameters(), spec.LearningRate);
        model.train();
        void Step(int start)
        {
            using var scope = torch.NewDisposeScope();
            int length = Math.Min(spec.BatchSize, data.Count - start);
            var x = data.Pixels.narrow(0, start, length);
            var y = data.Labels.narrow(0, start, length);
            optimizer.zero_grad();
            var loss = torch.nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            optimizer.step();
        }

        for (int start = 0, warm = 0; warm < 20 && start + spec.BatchSize <= data.Count; start += spec.BatchSize, warm++)
        {
            Step(start);
        }

        var clock = Stopwatch.StartNew();
        long seen = 0;
        for (int start = 0; start + 2 <= data.Count; start += spec.BatchSize)
        {
            Step(start);
            seen += Math.Min(spec.BatchSize, data.Count - start);
        }

        return seen / clock.Elapsed.TotalSeconds;
    }
}
