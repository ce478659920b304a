using Lepton.Core.Data;
using Lepton.Training.Models;
using TorchSharp;
using TorchSharp.Modules;

namespace Lepton.Training.Tests.Models;

public sealed class ArchitectureTests
{
    private static readonly ModelOptions Options = new(10, new Normalization(0.286f, 0.353f));

    [Fact]
    public void Registry_HasTheZoo()
    {
        Assert.Subset(ArchitectureRegistry.Names.ToHashSet(), new HashSet<string> { "cnn", "cnn-bn", "dcgan", "gru", "lstm", "mlp", "resnet", "transfer" });
    }

    [Fact]
    public void KnownArchitectures_AreTheTrainersRegistry()
    {
        // The pipeline and the Functions app check jobs against Core's list, without TorchSharp: it must not drift.
        // (Other tests register throwaway "test-*" architectures in this process.)
        // The registry holds TorchSharp families; tabular-gbdt is trained by ML.NET (Lepton.Trainer's
        // GradientBoostedTrees), so the trainer's list is the registry's and it (TrainerFamilies).
        static bool BuiltIn(string name) => !name.StartsWith("test-", StringComparison.Ordinal);
        Assert.DoesNotContain(Lepton.Trainer.GradientBoostedTrees.Name, ArchitectureRegistry.Names);
        Assert.Equal(Lepton.Trainer.TrainerFamilies.Names.Where(BuiltIn), Lepton.Core.Contracts.KnownArchitectures.Names);
        Assert.Equal(
            ArchitectureRegistry.All.Where(a => a.IsGenerator && BuiltIn(a.Name)).Select(a => a.Name),
            Lepton.Core.Contracts.KnownArchitectures.Generators);
    }

    [Fact]
    public void Get_Unknown_NamesTheKnownOnes()
    {
        var ex = Assert.Throws<KeyNotFoundException>(() => ArchitectureRegistry.Get("vgg"));

        Assert.Contains("known: cnn, cnn-bn, dcgan, gru, lstm, mlp, resnet", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Register_NewFamily_IsFoundByName_AndDuplicateIsRefused()
    {
        var family = new Architecture("test-linear-" + Environment.ProcessId, "test", o => torch.nn.Sequential(("flatten", torch.nn.Flatten()), ("fc", torch.nn.Linear(784, o.Classes))));
        ArchitectureRegistry.Register(family);

        Assert.Same(family, ArchitectureRegistry.Get(family.Name));
        Assert.Throws<InvalidOperationException>(() => ArchitectureRegistry.Register(family));
    }

    [Fact]
    public void SeedCnn_IsThePapersArchitecture()
    {
        using var model = (Sequential)SeedCnn.Create(Options);
        var layers = model.named_children().ToDictionary(c => c.name, c => c.module);

        var conv1 = Assert.IsType<Conv2d>(layers["conv1"]);
        var conv2 = Assert.IsType<Conv2d>(layers["conv2"]);
        var fc1 = Assert.IsType<Linear>(layers["fc1"]);
        var fc2 = Assert.IsType<Linear>(layers["fc2"]);
        Assert.Equal([32L, 1, 5, 5], conv1.weight!.shape);
        Assert.Equal([64L, 32, 5, 5], conv2.weight!.shape);
        Assert.Equal([128L, 1024], fc1.weight!.shape);
        Assert.Equal([10L, 128], fc2.weight!.shape);
        Assert.Equal(2, layers.Values.OfType<MaxPool2d>().Count());
        Assert.Equal(3, layers.Values.OfType<ReLU>().Count());
        Assert.Equal(32 * 25 + 32 + (64 * 32 * 25) + 64 + (1024 * 128) + 128 + (128 * 10) + 10,
            model.parameters().Sum(p => p.numel()));
    }

    [Theory]
    [InlineData("cnn")]
    [InlineData("cnn-bn")]
    [InlineData("mlp")]
    [InlineData("gru")]
    [InlineData("lstm")]
    public void Forward_Batch_GivesLogitsPerClass(string name)
    {
        using var model = ArchitectureRegistry.Get(name).Create(Options);
        model.eval();
        using var input = torch.rand(7, 1, 28, 28);

        using var output = model.call(input);

        Assert.Equal([7L, 10], output.shape);
    }

    [Fact]
    public void Normalize_AppliesTheStatistics()
    {
        using var layer = new Normalize(0.5f, 0.25f);
        using var input = torch.tensor(new[] { 0f, 0.5f, 1f });

        using var output = layer.call(input);

        Assert.Equal([-2f, 0f, 2f], output.data<float>().ToArray());
        Assert.Equal(2, layer.named_buffers().Count());
    }
}
