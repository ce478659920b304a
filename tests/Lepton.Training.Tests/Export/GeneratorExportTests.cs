using Lepton.Tests;
using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Inference;
using Lepton.Training.Export;
using Lepton.Training.Models;
using Lepton.Training.Training;
using Lepton.Trainer;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;

namespace Lepton.Training.Tests.Export;

/// <summary>A DCGAN trained for a few steps on real Fashion-MNIST, so batch norm has real statistics.</summary>
public sealed class TrainedGenerator : IDisposable
{
    public TrainedGenerator()
    {
        var train = TestDatasets.FashionMnist.Train.Take(512);
        using var data = new TensorDataset(train);
        string folder = Directory.CreateTempSubdirectory("lepton-gan-").FullName;
        var trainer = new GanTrainer(Dcgan.Definition, Options, new TrainerOptions(1, 64, 0.0002, 3, false, null, Resume: false), new Checkpoints(folder));
        var outcome = trainer.Train(data);
        outcome.Discriminator.Dispose();
        Generator = outcome.Generator;
        Directory.Delete(folder, recursive: true);
    }

    public static ModelOptions Options { get; } = new(10, new Normalization(0.286f, 0.353f));

    public torch.nn.Module<torch.Tensor, torch.Tensor> Generator { get; }

    public void Dispose() => Generator.Dispose();
}

public sealed class GeneratorExportTests(TrainedGenerator trained) : IClassFixture<TrainedGenerator>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-onnx-gen-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Export()
    {
        string path = Path.Combine(_dir, "dcgan.onnx");
        OnnxExporter.SaveGenerator(trained.Generator, new GeneratorExportOptions(Dcgan.Name, TrainedGenerator.Options.LatentSize, MnistDataset.FashionMnistLabels), path);
        return path;
    }

    [Fact]
    public void ExportGenerator_OnnxRuntimeMatchesTorchSharp_On256Latents()
    {
        using var onnx = new OnnxGenerator(Export());

        var parity = GeneratorJob.CheckParity(trained.Generator, onnx, seed: 11);

        Assert.Equal(256, parity.Examples);
        Assert.True(parity.MaxAbsDifference <= 1e-4, $"max |diff| {parity.MaxAbsDifference}");
    }

    [Fact]
    public void ExportGenerator_FollowsTheGeneratorContract_WithDynamicBatch()
    {
        using var session = new InferenceSession(Export());

        var input = Assert.Single(session.InputMetadata);
        Assert.Equal(ModelContract.LatentInputName, input.Key);
        Assert.Equal([-1, 64], input.Value.Dimensions);
        var output = Assert.Single(session.OutputMetadata);
        Assert.Equal(ModelContract.ImageOutputName, output.Key);
        Assert.Equal([-1, 1, 28, 28], output.Value.Dimensions);
        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal("generator", meta[ModelContract.KindKey]);
        var signature = LeptonJson.Deserialize<ModelSignature>(meta[ModelSignature.MetadataKey], "signature");
        Assert.Equal((ModelKind.Generator, InputKind.Latent, 64), (signature.Kind, signature.Input.Kind, signature.Input.LatentSize));
        Assert.Equal(new ImageShape(1, 28, 28), signature.Output.Image);
        Assert.Equal("64", meta[ModelContract.LatentSizeKey]);
        Assert.Equal([1, 28, 28], JsonSerializer.Deserialize<int[]>(meta[ModelContract.ImageShapeKey])!);

        using var onnx = new OnnxGenerator(Export());
        foreach (int batch in new[] { 1, 7 })
        {
            float[] images = onnx.Run(OnnxGenerator.Latents(batch, 64, batch), batch);
            Assert.Equal(batch * 784, images.Length);
            Assert.All(images, v => Assert.InRange(v, 0f, 1f));
        }
    }

    [Fact]
    public void ExportGenerator_UsesTheNewLayers()
    {
        var proto = OnnxExporter.ExportGenerator(trained.Generator, new GeneratorExportOptions(Dcgan.Name, 64, MnistDataset.FashionMnistLabels));

        var ops = proto.Graph.Node.Select(n => n.OpType).ToHashSet();
        Assert.Subset(ops, new HashSet<string> { "Reshape", "ConvTranspose", "BatchNormalization", "Relu", "Sigmoid" });
    }
}
