using System.Diagnostics;
using Lepton.Core.Contracts;
using Lepton.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lepton.Training.Training;

/// <summary>Hyperparameters of one training run. <paramref name="Augmentations"/>: which ones when augmenting (null: per channels, <see cref="Augmentation"/>).</summary>
public sealed record TrainerOptions(
    int Epochs,
    int BatchSize,
    double LearningRate,
    int Seed,
    bool Augment,
    int? Patience,
    bool Resume,
    LearningRateSchedule Schedule = LearningRateSchedule.Constant,
    IReadOnlyList<string>? Augmentations = null)
{
    /// <summary>The learning rate of a 1-based epoch.</summary>
    public double LearningRateAt(int epoch) => Schedule switch
    {
        LearningRateSchedule.Cosine => LearningRate * 0.5 * (1 + Math.Cos(Math.PI * (epoch - 1) / Math.Max(1, Epochs))),
        _ => LearningRate,
    };
}

/// <summary>What a finished run returns: the trained model (best weights when early stopping) and its history.</summary>
public sealed record TrainingOutcome(nn.Module<Tensor, Tensor> Model, TrainingHistory History);

/// <summary>
/// Mini-batch training with cross-entropy and Adam: a seeded shuffle per epoch, optional augmentation,
/// validation after each epoch, a checkpoint per epoch, resume from the last checkpoint, and early
/// stopping on the validation loss.
/// </summary>
public sealed class ModelTrainer(Architecture architecture, ModelOptions modelOptions, TrainerOptions options, Checkpoints checkpoints)
{
    /// <summary>Called after every epoch with the record and the history so far.</summary>
    public event Action<EpochRecord, IReadOnlyList<EpochRecord>>? EpochCompleted;

    /// <summary>After every training batch: its epoch, batches done and total, running loss, samples/s so far.</summary>
    public event Action<BatchProgress>? BatchCompleted;

    public TrainingOutcome Train(TensorDataset train, TensorDataset? validation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        torch.manual_seed(options.Seed);
        var model = architecture.Create(modelOptions);
        model.to(train.Pixels.device);
        try
        {
            return TrainModel(model, train, validation, cancellationToken);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private TrainingOutcome TrainModel(nn.Module<Tensor, Tensor> model, TensorDataset train, TensorDataset? validation, CancellationToken cancellationToken)
    {
        using var optimizer = architecture.WeightDecay > 0
            ? torch.optim.AdamW(model.parameters(), options.LearningRate, weight_decay: architecture.WeightDecay)
            : (OptimizerHelper)torch.optim.Adam(model.parameters(), options.LearningRate);
        var history = new List<EpochRecord>();
        int startEpoch = 0;
        int? bestEpoch = null;
        double? bestLoss = null;
        int stale = 0;

        if (options.Resume && checkpoints.Last() is { } last)
        {
            if (last.Architecture != architecture.CheckpointName)
            {
                throw new InvalidOperationException(
                    $"{checkpoints.Folder} holds a checkpoint of '{last.Architecture}', not '{architecture.CheckpointName}': use another output folder");
            }

            checkpoints.Restore(model, optimizer, last);
            startEpoch = last.Epoch;
            history.AddRange(last.History);
            (bestEpoch, bestLoss, stale) = (last.BestEpoch, last.BestValidationLoss, last.EpochsWithoutImprovement);
        }

        bool usePatience = options.Patience is not null && validation is { Count: > 0 };
        bool stoppedEarly = usePatience && stale >= options.Patience;
        for (int epoch = startEpoch + 1; epoch <= options.Epochs && !stoppedEarly; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var record = RunEpoch(model, optimizer, train, validation, epoch);
            history.Add(record);

            if (record.ValidationLoss is double loss && (bestLoss is null || loss < bestLoss))
            {
                (bestEpoch, bestLoss, stale) = (epoch, loss, 0);
                if (usePatience)
                {
                    checkpoints.SaveBest(model);
                }
            }
            else
            {
                stale++;
            }

            stoppedEarly = usePatience && stale >= options.Patience && epoch < options.Epochs;
            checkpoints.Save(model, optimizer, new CheckpointState(architecture.CheckpointName, epoch, history.ToArray(), bestEpoch, bestLoss, stale));
            EpochCompleted?.Invoke(record, history);
        }

        if (usePatience && File.Exists(checkpoints.BestModelPath))
        {
            model.load(checkpoints.BestModelPath);
        }

        model.eval();
        return new TrainingOutcome(model, new TrainingHistory(architecture.Name, history, bestEpoch, stoppedEarly, startEpoch));
    }

    private EpochRecord RunEpoch(nn.Module<Tensor, Tensor> model, OptimizerHelper optimizer, TensorDataset train, TensorDataset? validation, int epoch)
    {
        model.train();
        double learningRate = options.LearningRateAt(epoch);
        foreach (var group in optimizer.ParamGroups)
        {
            group.LearningRate = learningRate;
        }

        var clock = Stopwatch.StartNew();
        using var generator = new Generator((ulong)((options.Seed * 100_003L) + epoch));
        using var order = torch.randperm(train.Count, generator: generator);
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        int totalBatches = (train.Count + options.BatchSize - 1) / options.BatchSize;
        for (int start = 0; start < train.Count; start += options.BatchSize)
        {
            int length = Math.Min(options.BatchSize, train.Count - start);
            if (length < 2)
            {
                break; // batch norm cannot train on a single example; it is the epoch's last, partial batch
            }

            using var scope = torch.NewDisposeScope();
            var indices = order.narrow(0, start, length).to(train.Pixels.device);
            var x = train.Pixels.index_select(0, indices);
            var y = train.Labels.index_select(0, indices);
            if (options.Augment)
            {
                x = Augmentation.Apply(x, generator, options.Augmentations);
            }

            optimizer.zero_grad();
            var logits = model.call(x);
            var loss = nn.functional.cross_entropy(logits, y);
            loss.backward();
            optimizer.step();
            lossSum += loss.item<float>() * length;
            correct += logits.argmax(1).eq(y).sum().item<long>();
            seen += length;
            BatchCompleted?.Invoke(new BatchProgress(epoch, (start / options.BatchSize) + 1, totalBatches, lossSum / seen,
                seen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9), options.BatchSize));
        }

        double trainSeconds = clock.Elapsed.TotalSeconds;
        double? validationLoss = null, validationAccuracy = null;
        if (validation is { Count: > 0 })
        {
            var result = Evaluator.Evaluate(model, validation);
            (validationLoss, validationAccuracy) = (result.Loss, result.Accuracy);
        }

        return new EpochRecord(
            epoch,
            lossSum / Math.Max(1, seen),
            (double)correct / Math.Max(1, seen),
            validationLoss,
            validationAccuracy,
            clock.Elapsed.TotalSeconds,
            seen / Math.Max(trainSeconds, 1e-9),
            learningRate);
    }
}
