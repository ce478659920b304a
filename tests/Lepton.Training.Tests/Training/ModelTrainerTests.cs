using Lepton.Tests;
using Lepton.Core.Data;
using Lepton.Training.Models;
using Lepton.Training.Training;
using TorchSharp;

namespace Lepton.Training.Tests.Training;

public sealed class ModelTrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-trainer-").FullName;
    private readonly LabeledImages _train = TestDatasets.FashionMnist.Train.Take(1200);
    private readonly LabeledImages _validation = TestDatasets.FashionMnist.Test.Take(300);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private TrainingOutcome Train(string output, int epochs, int? patience = null, double lr = 0.001)
    {
        using var train = new TensorDataset(_train);
        using var validation = new TensorDataset(_validation);
        var trainer = new ModelTrainer(SeedCnn.Definition, new ModelOptions(10, Normalization.Compute(_train.Images)),
            new TrainerOptions(epochs, 50, lr, 11, Augment: false, patience, Resume: true), new Checkpoints(Path.Combine(_dir, output)));
        return trainer.Train(train, validation);
    }

    [Fact]
    public void Train_RecordsEveryEpoch_AndLearns()
    {
        var outcome = Train("plain", epochs: 3);
        using var model = outcome.Model;

        Assert.Equal([1, 2, 3], outcome.History.Epochs.Select(e => e.Epoch));
        Assert.All(outcome.History.Epochs, e =>
        {
            Assert.True(e.SamplesPerSecond > 0);
            Assert.True(e.Seconds > 0);
            Assert.NotNull(e.ValidationAccuracy);
        });
        Assert.True(outcome.History.Epochs[^1].TrainLoss < outcome.History.Epochs[0].TrainLoss);
        Assert.True(outcome.History.Epochs[^1].ValidationAccuracy > 0.6, $"validation accuracy {outcome.History.Epochs[^1].ValidationAccuracy}");
        Assert.True(Directory.Exists(Path.Combine(_dir, "plain", "checkpoints", "epoch-0003")));
    }

    [Fact]
    public void Train_ResumedAfterInterruption_EndsLikeAnUninterruptedRun()
    {
        var uninterrupted = Train("straight", epochs: 3);
        Train("resumed", epochs: 1).Model.Dispose(); // the "crash" after epoch 1
        var resumed = Train("resumed", epochs: 3);
        using var a = uninterrupted.Model;
        using var b = resumed.Model;

        Assert.Equal(1, resumed.History.ResumedFromEpoch);
        Assert.Equal(uninterrupted.History.Epochs.Count, resumed.History.Epochs.Count);
        Assert.Equal(uninterrupted.History.Epochs[0].TrainLoss, resumed.History.Epochs[0].TrainLoss);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(uninterrupted.History.Epochs[i].TrainLoss, resumed.History.Epochs[i].TrainLoss, 3);
            Assert.Equal(uninterrupted.History.Epochs[i].ValidationAccuracy!.Value, resumed.History.Epochs[i].ValidationAccuracy!.Value, 2);
        }
    }

    [Fact]
    public void Train_CompletedRunAgain_TrainsNothingMore()
    {
        Train("done", epochs: 2).Model.Dispose();

        var again = Train("done", epochs: 2);
        using var model = again.Model;

        Assert.Equal(2, again.History.ResumedFromEpoch);
        Assert.Equal(2, again.History.Epochs.Count);
    }

    [Fact]
    public void Train_Patience_StopsEarlyAndKeepsTheBestEpoch()
    {
        // A learning rate this large makes the validation loss stop improving within a few epochs.
        var outcome = Train("early", epochs: 12, patience: 1, lr: 0.05);
        using var model = outcome.Model;

        Assert.True(outcome.History.StoppedEarly, $"ran {outcome.History.Epochs.Count} epochs");
        Assert.True(outcome.History.Epochs.Count < 12);
        var best = outcome.History.Epochs.MinBy(e => e.ValidationLoss)!;
        Assert.Equal(best.Epoch, outcome.History.BestEpoch);
        using var validation = new TensorDataset(_validation);
        Assert.Equal(best.ValidationLoss!.Value, Evaluator.Evaluate(model, validation).Loss, 4);
    }

    [Fact]
    public void Train_CheckpointOfOtherArchitecture_IsRefused()
    {
        Train("mixed", epochs: 1).Model.Dispose();
        using var train = new TensorDataset(_train.Take(100));
        var other = new ModelTrainer(Mlp.Definition, new ModelOptions(10, new Normalization(0.3f, 0.3f)),
            new TrainerOptions(2, 50, 0.001, 1, false, null, Resume: true), new Checkpoints(Path.Combine(_dir, "mixed")));

        var ex = Assert.Throws<InvalidOperationException>(() => other.Train(train, null));

        Assert.Contains("'cnn', not 'mlp'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Augmentation_KeepsShapeAndPixelMass()
    {
        using var generator = new torch.Generator(5);
        using var batch = torch.rand(8, 1, 28, 28);
        using var padded = torch.nn.functional.pad(batch.narrow(2, 2, 24).narrow(3, 2, 24), [2, 2, 2, 2]);

        using var augmented = Augmentation.Apply(padded, generator);

        Assert.Equal(padded.shape, augmented.shape);
        Assert.Equal(padded.sum().item<float>(), augmented.sum().item<float>(), 1);
    }

    [Fact]
    public void Augmentation_ColorDefaults_KeepShapeAndRangeAndChangeTheImages()
    {
        using var generator = new torch.Generator(7);
        using var batch = torch.rand(6, 3, 20, 30);

        using var augmented = Augmentation.Apply(batch, generator);

        Assert.Equal(batch.shape, augmented.shape);
        Assert.True(augmented.min().item<float>() >= 0 && augmented.max().item<float>() <= 1);
        Assert.True(augmented.sub(batch).abs().max().item<float>() > 0.01, "crop, flip and jitter changed nothing");
    }

    [Fact]
    public void Augmentation_FlipOnly_GivesEachImageOrItsMirror()
    {
        using var generator = new torch.Generator(3);
        using var batch = torch.rand(16, 3, 8, 8);

        using var augmented = Augmentation.Apply(batch, generator, ["flip"]);

        int mirrored = 0;
        for (int i = 0; i < 16; i++)
        {
            bool same = augmented[i].allclose(batch[i], rtol: 0, atol: 0);
            bool mirror = augmented[i].allclose(batch[i].flip(2), rtol: 0, atol: 0);
            Assert.True(same || mirror, $"image {i} is neither itself nor its mirror");
            mirrored += mirror ? 1 : 0;
        }

        Assert.InRange(mirrored, 1, 15);
    }

    [Fact]
    public void JobSpec_UnknownAugmentation_IsAnError()
    {
        var errors = new Lepton.Core.Contracts.TrainingJobSpec { Data = "d", Output = "o", Augmentations = ["flip", "rotate"] }.Validate(["cnn"]);

        Assert.Contains(errors, e => e.Contains("unknown augmentation 'rotate'", StringComparison.Ordinal));
    }
}
