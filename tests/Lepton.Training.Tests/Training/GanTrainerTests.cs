using Lepton.Tests;
using Lepton.Core.Data;
using Lepton.Training.Models;
using Lepton.Training.Training;
using TorchSharp;

namespace Lepton.Training.Tests.Training;

public sealed class GanTrainerTests : IDisposable
{
    private static readonly ModelOptions Options = new(10, new Normalization(0.286f, 0.353f), LatentSize: 16);
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-gantrain-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private GanTrainer Trainer(int epochs) =>
        new(Dcgan.Definition, Options, new TrainerOptions(epochs, 64, 0.0002, 5, false, null, Resume: true), new Checkpoints(_dir));

    [Fact]
    public void Train_RecordsBothLossesAndSamplesEachEpoch_ThenResumes()
    {
        using var data = new TensorDataset(TestDatasets.FashionMnist.Train.Take(256));
        var trainer = Trainer(2);
        var samples = new List<long[]>();
        trainer.SamplesGenerated += (_, images) => samples.Add(images.shape);

        var first = trainer.Train(data);
        first.Generator.Dispose();
        first.Discriminator.Dispose();

        Assert.Equal(2, first.History.Epochs.Count);
        Assert.All(first.History.Epochs, e => Assert.True(e.GeneratorLoss > 0 && e.DiscriminatorLoss > 0));
        Assert.Equal([[64L, 1, 28, 28], [64L, 1, 28, 28]], samples);

        var resumed = Trainer(3).Train(data);
        resumed.Generator.Dispose();
        resumed.Discriminator.Dispose();

        Assert.Equal(2, resumed.History.ResumedFromEpoch);
        Assert.Equal([1, 2, 3], resumed.History.Epochs.Select(e => e.Epoch));
    }

    [Fact]
    public void FixedLatents_AreTheSameForTheSameSeed()
    {
        using var a = GanTrainer.FixedLatents(3, 4, 8);
        using var b = GanTrainer.FixedLatents(3, 4, 8);

        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());
    }

    [Fact]
    public void FrechetDistance_IsZeroForTheSameSet_AndTheSquaredShiftForAShiftedOne()
    {
        using var generator = new torch.Generator(1);
        using var features = torch.randn([2000, 8], generator: generator);
        using var shifted = features + 0.5f;

        Assert.Equal(0, FrechetDistance.Compute(features, features), 6);
        Assert.Equal(8 * 0.25, FrechetDistance.Compute(features, shifted), 6);
    }
}
