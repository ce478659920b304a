using Lepton.Tests;
using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Training.Export;
using Lepton.Training.Models;
using Lepton.Training.Training;
using Lepton.Trainer;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;

namespace Lepton.Training.Tests.Export;

/// <summary>Each architecture, briefly trained on real Fashion-MNIST so batch norm has real statistics.</summary>
public sealed class TrainedModels : IDisposable
{
    public const int ParityImages = 256;

    public TrainedModels()
    {
        var data = TestDatasets.FashionMnist;
        var train = data.Train.Take(2000);
        Normalization = Normalization.Compute(train.Images);
        Test = data.Test.Take(ParityImages);
        using var trainSet = new TensorDataset(train);
        // The recurrent ones are slower per image; a quarter of the slice gives them non-trivial weights.
        using var smallSet = new TensorDataset(train.Take(512));
        foreach (var architecture in new[] { SeedCnn.Definition, BatchNormCnn.Definition, Mlp.Definition, RecurrentFamilies.Gru, RecurrentFamilies.Lstm })
        {
            string folder = Directory.CreateTempSubdirectory("lepton-export-").FullName;
            var trainer = new ModelTrainer(architecture, new ModelOptions(10, Normalization),
                new TrainerOptions(1, 64, 0.001, 3, architecture.UsesAugmentation, null, Resume: false), new Checkpoints(folder));
            Models[architecture.Name] = trainer.Train(architecture.Name is RecurrentFamilies.GruName or RecurrentFamilies.LstmName ? smallSet : trainSet, null).Model;
            Directory.Delete(folder, recursive: true);
        }
    }

    public Dictionary<string, torch.nn.Module<torch.Tensor, torch.Tensor>> Models { get; } = [];

    public Normalization Normalization { get; }

    public LabeledImages Test { get; }

    public void Dispose()
    {
        foreach (var model in Models.Values)
        {
            model.Dispose();
        }
    }
}

public sealed class OnnxExporterTests(TrainedModels trained) : IClassFixture<TrainedModels>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-onnx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Export(string architecture)
    {
        string path = Path.Combine(_dir, architecture + ".onnx");
        OnnxExporter.Save(trained.Models[architecture], new OnnxExportOptions(architecture, MnistDataset.FashionMnistLabels, trained.Normalization), path);
        return path;
    }

    [Theory]
    [InlineData("cnn")]
    [InlineData("cnn-bn")]
    [InlineData("mlp")]
    [InlineData("gru")]
    [InlineData("lstm")]
    public void Export_OnnxRuntimeMatchesTorchSharp_On256TestImages(string architecture)
    {
        string path = Export(architecture);
        using var test = new TensorDataset(trained.Test);
        var torchScores = Evaluator.Evaluate(trained.Models[architecture], test).Scores;

        using var session = new InferenceSession(path);
        var input = new DenseTensor<float>(trained.Test.Images.ToScaledFloats(), [TrainedModels.ParityImages, 1, 28, 28]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(ModelContract.InputName, input)]);
        float[] onnxScores = results.Single(r => r.Name == ModelContract.OutputName).AsTensor<float>().ToArray();

        var parity = Parity.Compare(torchScores, onnxScores, 10);
        Assert.Equal(TrainedModels.ParityImages, parity.Examples);
        Assert.True(parity.MaxAbsDifference <= 1e-4, $"max |diff| {parity.MaxAbsDifference}");
        Assert.Equal(0, parity.PredictionMismatches);
    }

    [Theory]
    [InlineData("cnn")]
    [InlineData("cnn-bn")]
    [InlineData("mlp")]
    [InlineData("gru")]
    [InlineData("lstm")]
    public void Export_FollowsTheModelContract(string architecture)
    {
        using var session = new InferenceSession(Export(architecture));

        var input = Assert.Single(session.InputMetadata);
        Assert.Equal(ModelContract.InputName, input.Key);
        Assert.Equal([-1, 1, 28, 28], input.Value.Dimensions);
        Assert.Equal(typeof(float), input.Value.ElementType);
        Assert.Equal(ModelContract.BatchDimension, input.Value.SymbolicDimensions[0]);
        var output = Assert.Single(session.OutputMetadata);
        Assert.Equal(ModelContract.OutputName, output.Key);
        Assert.Equal([-1, 10], output.Value.Dimensions);

        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(MnistDataset.FashionMnistLabels, JsonSerializer.Deserialize<string[]>(meta[ModelContract.LabelsKey]));
        Assert.Equal(architecture, meta[ModelContract.ArchitectureKey]);
        using var norm = JsonDocument.Parse(meta[ModelContract.NormalizationKey]);
        Assert.Equal(trained.Normalization.Mean, norm.RootElement.GetProperty("mean").GetSingle());
        Assert.Equal(trained.Normalization.Std, norm.RootElement.GetProperty("std").GetSingle());
    }

    [Theory]
    [InlineData("cnn")]
    [InlineData("gru")]
    [InlineData("lstm")]
    public void Export_UsesOpset17AndDynamicBatch(string architecture)
    {
        var proto = OnnxExporter.Export(trained.Models[architecture], new OnnxExportOptions(architecture, MnistDataset.FashionMnistLabels, trained.Normalization));
        Assert.Equal(OnnxExportOptions.Opset, Assert.Single(proto.OpsetImport).Version);
        Assert.True(OnnxExportOptions.Opset >= 17);

        using var session = new InferenceSession(Export(architecture));
        foreach (int batch in new[] { 1, 5, 33 })
        {
            var input = new DenseTensor<float>(new float[batch * 784], [batch, 1, 28, 28]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(ModelContract.InputName, input)]);
            Assert.Equal([batch, 10], results.Single().AsTensor<float>().Dimensions.ToArray());
        }
    }

    [Fact]
    public void Export_UnsupportedModule_FailsNamingIt()
    {
        using var model = torch.nn.Sequential(
            ("flatten", torch.nn.Flatten()),
            ("fc", torch.nn.Linear(784, 10)),
            ("squash", torch.nn.GELU()));

        var ex = Assert.Throws<OnnxExportException>(() =>
            OnnxExporter.Export(model, new OnnxExportOptions("custom", MnistDataset.DigitLabels, trained.Normalization)));

        Assert.Contains("'model.squash'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("GELU", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gru", "GRU")]
    [InlineData("lstm", "LSTM")]
    public void Export_Recurrent_UsesTheOnnxOperatorPerLayer(string architecture, string op)
    {
        var proto = OnnxExporter.Export(trained.Models[architecture], new OnnxExportOptions(architecture, MnistDataset.FashionMnistLabels, trained.Normalization));

        var nodes = proto.Graph.Node.Where(n => n.OpType == op).ToArray();
        Assert.Equal(RecurrentFamilies.Layers, nodes.Length);
        Assert.All(nodes, n => Assert.Equal(128, n.Attribute.Single(a => a.Name == "hidden_size").I));
        if (op == "GRU")
        {
            Assert.All(nodes, n => Assert.Equal(1, n.Attribute.Single(a => a.Name == "linear_before_reset").I));
        }
    }

    [Fact]
    public void Export_LabelCountMismatch_Fails()
    {
        var ex = Assert.Throws<OnnxExportException>(() =>
            OnnxExporter.Export(trained.Models["mlp"], new OnnxExportOptions("mlp", ["a", "b"], trained.Normalization)));

        Assert.Contains("10 outputs but 2 labels", ex.Message, StringComparison.Ordinal);
    }
}
