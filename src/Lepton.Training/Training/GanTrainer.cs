using System.Diagnostics;
using Lepton.Core.Contracts;
using Lepton.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lepton.Training.Training;

/// <summary>What adversarial training returns: the generator (in evaluation mode), the discriminator and the history.</summary>
public sealed record GanOutcome(nn.Module<Tensor, Tensor> Generator, nn.Module<Tensor, Tensor> Discriminator, TrainingHistory History);

/// <summary>
/// Adversarial training of a generative <see cref="Architecture"/>: per batch one discriminator step on
/// real images (target 0.9: one-sided label smoothing) and generated ones (target 0), then one generator
/// step (target 1); Adam with beta1 0.5 for both; seeded shuffles and latents; a checkpoint per epoch
/// (both networks and both optimizers) and resume; after each epoch the generator's images for a fixed
/// set of latent vectors, so samples of successive epochs are comparable.
/// </summary>
public sealed class GanTrainer(Architecture architecture, ModelOptions modelOptions, TrainerOptions options, Checkpoints checkpoints)
{
    public const double RealTarget = 0.9;
    public const double Beta1 = 0.5;
    public const int SampleCount = 64;

    /// <summary>Called after every epoch with the record and the history so far.</summary>
    public event Action<EpochRecord, IReadOnlyList<EpochRecord>>? EpochCompleted;

    /// <summary>Called after every epoch with the epoch and the generator's images [64,C,H,W] of the fixed latents.</summary>
    public event Action<int, Tensor>? SamplesGenerated;

    /// <summary>The fixed latent vectors of the per-epoch samples ([count, z], standard normal, from the seed).</summary>
    public static Tensor FixedLatents(int seed, int count, int latentSize)
    {
        using var generator = new Generator((ulong)seed + 7919UL);
        return torch.randn([count, latentSize], generator: generator);
    }

    public GanOutcome Train(TensorDataset train, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (architecture.CreateDiscriminator is null)
        {
            throw new InvalidOperationException($"'{architecture.Name}' is not a generative family");
        }

        torch.manual_seed(options.Seed);
        var generator = architecture.Create(modelOptions);
        var discriminator = architecture.CreateDiscriminator(modelOptions);
        generator.to(train.Pixels.device);
        discriminator.to(train.Pixels.device);
        try
        {
            var history = TrainModels(generator, discriminator, train, cancellationToken);
            generator.eval();
            discriminator.eval();
            return new GanOutcome(generator, discriminator, history);
        }
        catch
        {
            generator.Dispose();
            discriminator.Dispose();
            throw;
        }
    }

    private TrainingHistory TrainModels(nn.Module<Tensor, Tensor> generator, nn.Module<Tensor, Tensor> discriminator, TensorDataset train, CancellationToken cancellationToken)
    {
        using var gOptimizer = torch.optim.Adam(generator.parameters(), options.LearningRate, beta1: Beta1);
        using var dOptimizer = torch.optim.Adam(discriminator.parameters(), options.LearningRate, beta1: Beta1);
        var history = new List<EpochRecord>();
        int startEpoch = 0;
        if (options.Resume && checkpoints.Last() is { } last)
        {
            if (last.Architecture != architecture.CheckpointName)
            {
                throw new InvalidOperationException(
                    $"{checkpoints.Folder} holds a checkpoint of '{last.Architecture}', not '{architecture.CheckpointName}': use another output folder");
            }

            checkpoints.RestoreParts(last, ("generator", generator, gOptimizer), ("discriminator", discriminator, dOptimizer));
            startEpoch = last.Epoch;
            history.AddRange(last.History);
        }

        using var fixedLatents = FixedLatents(options.Seed, SampleCount, modelOptions.LatentSize).to(train.Pixels.device);
        for (int epoch = startEpoch + 1; epoch <= options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var record = RunEpoch(generator, discriminator, gOptimizer, dOptimizer, train, epoch);
            history.Add(record);
            checkpoints.SaveParts(new CheckpointState(architecture.CheckpointName, epoch, history.ToArray(), null, null, 0),
                ("generator", generator, gOptimizer), ("discriminator", discriminator, dOptimizer));
            if (SamplesGenerated is { } samples)
            {
                generator.eval();
                using (torch.no_grad())
                using (var images = generator.call(fixedLatents))
                {
                    samples(epoch, images);
                }

                generator.train();
            }

            EpochCompleted?.Invoke(record, history);
        }

        return new TrainingHistory(architecture.Name, history, null, false, startEpoch);
    }

    private EpochRecord RunEpoch(
        nn.Module<Tensor, Tensor> generator, nn.Module<Tensor, Tensor> discriminator,
        OptimizerHelper gOptimizer, OptimizerHelper dOptimizer, TensorDataset train, int epoch)
    {
        generator.train();
        discriminator.train();
        var clock = Stopwatch.StartNew();
        using var random = new Generator((ulong)((options.Seed * 100_003L) + epoch));
        using var order = torch.randperm(train.Count, generator: random);
        var device = train.Pixels.device;
        double gLossSum = 0, dLossSum = 0;
        long correct = 0, seen = 0;
        for (int start = 0; start < train.Count; start += options.BatchSize)
        {
            int length = Math.Min(options.BatchSize, train.Count - start);
            if (length < 2)
            {
                break; // batch norm cannot train on a single example
            }

            using var scope = torch.NewDisposeScope();
            var real = train.Pixels.index_select(0, order.narrow(0, start, length).to(device));
            var latents = torch.randn([length, modelOptions.LatentSize], generator: random).to(device);
            var fake = generator.call(latents);

            // Discriminator: real images towards 0.9, generated ones towards 0.
            dOptimizer.zero_grad();
            var realLogits = discriminator.call(real);
            var fakeLogits = discriminator.call(fake.detach());
            var dLoss = nn.functional.binary_cross_entropy_with_logits(realLogits, torch.full_like(realLogits, RealTarget))
                + nn.functional.binary_cross_entropy_with_logits(fakeLogits, torch.zeros_like(fakeLogits));
            dLoss.backward();
            dOptimizer.step();

            // Generator: make the discriminator call its images real.
            gOptimizer.zero_grad();
            var judged = discriminator.call(fake);
            var gLoss = nn.functional.binary_cross_entropy_with_logits(judged, torch.ones_like(judged));
            gLoss.backward();
            gOptimizer.step();

            dLossSum += dLoss.item<float>() * length;
            gLossSum += gLoss.item<float>() * length;
            correct += realLogits.gt(0).sum().item<long>() + fakeLogits.le(0).sum().item<long>();
            seen += length;
        }

        double seconds = clock.Elapsed.TotalSeconds;
        double generatorLoss = gLossSum / Math.Max(1, seen);
        double discriminatorLoss = dLossSum / Math.Max(1, seen);
        return new EpochRecord(epoch, generatorLoss, (double)correct / Math.Max(1, 2 * seen), null, null, seconds,
            seen / Math.Max(seconds, 1e-9), options.LearningRate, generatorLoss, discriminatorLoss);
    }
}
