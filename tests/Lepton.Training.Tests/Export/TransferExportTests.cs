using Google.Protobuf;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Inference;
using Lepton.Trainer;
using Lepton.Training.Export;
using Lepton.Training.Models;
using Lepton.Training.Transfer;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using Xunit.Abstractions;

namespace Lepton.Training.Tests.Export;

/// <summary>
/// The transfer family's one-file export: the package's own chain (ResNetPreprocess.onnx then ResNet18.onnx) and
/// our front give the same features; the merged classifier equals features + the TorchSharp head.
/// </summary>
public sealed class TransferExportTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-transfer-export-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ImageArray RandomImages(int count, ImageShape shape, int seed)
    {
        var pixels = new byte[count * shape.Values];
        new Random(seed).NextBytes(pixels);
        return new ImageArray(pixels, count, shape.Height, shape.Width, shape.Channels);
    }

    [Fact]
    public void Featurizer_At224_MatchesThePackagesPreprocessAndResNet18()
    {
        var shape = new ImageShape(3, 224, 224);
        var images = RandomImages(3, shape, 1);
        using var features = new TransferFeatures(shape, threads: null, cacheFolder: _dir);

        float[] ours = features.Featurize(images);

        // The package's chain, one image at a time (its graphs have a batch of 1): RGB 0..255 -> preprocess -> ResNet18.
        string folder = TransferBackbone.Folder;
        using var preprocess = new InferenceSession(Path.Combine(folder, "ResNetPrepOnnx", "ResNetPreprocess.onnx"));
        using var backbone = new InferenceSession(Path.Combine(folder, "ResNet18Onnx", "ResNet18.onnx"));
        double max = 0;
        for (int i = 0; i < images.Count; i++)
        {
            var rgb = new DenseTensor<float>(images.Image(i).ToArray().Select(b => (float)b).ToArray(), [1, 3, 224, 224]);
            using var prepared = preprocess.Run([NamedOnnxValue.CreateFromTensor("OriginalInput", rgb)]);
            var input = prepared.Single().AsTensor<float>().ToDenseTensor();
            using var pooled = backbone.Run([NamedOnnxValue.CreateFromTensor("Input247", input)]);
            float[] expected = pooled.Single().AsTensor<float>().ToArray();
            for (int k = 0; k < TransferBackbone.Features; k++)
            {
                max = Math.Max(max, Math.Abs(expected[k] - ours[(i * TransferBackbone.Features) + k]));
            }
        }

        output.WriteLine($"our front vs the package's chain: max |diff| {max:E2} over {images.Count}x{TransferBackbone.Features} features");
        Assert.True(max < 1e-3, $"max |diff| {max}");
        Assert.Contains(ours, v => v > 0.1f); // features, not zeros
    }

    [Theory]
    [InlineData(3, 40, 24)]
    [InlineData(1, 16, 16)]
    public void ExportTransfer_OneGraph_EqualsFeaturesThroughTheTorchSharpHead(int channels, int height, int width)
    {
        torch.manual_seed(2);
        var shape = new ImageShape(channels, height, width);
        using var head = TransferHead.Create(new ModelOptions(3, new Normalization(0.5f, 0.25f), channels, height, width));
        head.eval();
        var image = new ImageInputSpec(shape, ResizePolicy.ShorterSideCenterCrop, ImagePolarity.AsIs);
        string path = Path.Combine(_dir, "transfer.onnx");
        OnnxExporter.SaveTransfer(head, OnnxExportOptions.For(TransferHead.Name, ["a", "b", "c"], new Normalization(0.5f, 0.25f), image), path);
        var images = RandomImages(5, shape, 3);
        using var features = new TransferFeatures(shape, threads: null, cacheFolder: _dir);
        using var x = torch.tensor(features.Featurize(images), [5, TransferBackbone.Features]);
        using var expected = head.call(x);

        using var onnx = new OnnxClassifier(path);
        float[] actual = onnx.Score(images);

        double max = expected.data<float>().ToArray().Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"{shape}: merged graph (ONNX Runtime) vs features + TorchSharp head: max |diff| {max:E2}; {new FileInfo(path).Length / 1e6:F1} MB");
        Assert.True(max < 1e-4, $"max |diff| {max}");
        var described = Inference.Runtime.ModelInspector.Describe(File.ReadAllBytes(path));
        Assert.Equal(image, described.Signature.Input.Image);
        Assert.Equal(["a", "b", "c"], described.Signature.Output.Labels);
    }

    /// <summary>The activations entering the last stage of <paramref name="images"/>, by the ONNX front (what fine-tune caches).</summary>
    private float[] StageInputs(ImageArray images, ImageShape shape)
    {
        using var front = new TransferFeatures(shape, threads: null, cacheFolder: _dir, stageInput: true);
        return front.Featurize(images);
    }

    [Fact]
    public void BackboneStage_InTorchSharp_MatchesTheOnnxFilesLastStage()
    {
        var shape = new ImageShape(3, 32, 32);
        var images = RandomImages(4, shape, 5);
        float[] activations = StageInputs(images, shape);
        Assert.Equal(4 * StageGraph.ValuesPerImage, activations.Length);

        using var stage = new BackboneStage(TransferBackbone.LastStage);
        stage.eval();
        using var x = torch.tensor(activations, [4, StageGraph.Channels, StageGraph.Size, StageGraph.Size]);
        using var ours = stage.call(x);

        using var session = new InferenceSession(OnnxExporter.ExportStage().ToByteArray());
        using var outputs = session.Run([NamedOnnxValue.CreateFromTensor(TransferBackbone.StageInputName,
            new DenseTensor<float>(activations, [4, StageGraph.Channels, StageGraph.Size, StageGraph.Size]))]);
        float[] expected = outputs.Single().AsTensor<float>().ToArray();
        // And the whole backbone (front + stage) gives the frozen featurizer's features.
        using var features = new TransferFeatures(shape, threads: null, cacheFolder: _dir);
        float[] frozen = features.Featurize(images);

        float[] actual = ours.data<float>().ToArray();
        double max = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        double whole = frozen.Zip(expected).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"last stage ({TransferBackbone.LastStage.Nodes.Count} nodes, {stage.parameters().Sum(p => p.numel()):N0} trained values): " +
            $"TorchSharp vs ONNX Runtime max |diff| {max:E2} over {actual.Length} features (largest {expected.Max():F2}); front + stage vs featurizer {whole:E2}");
        Assert.Equal(4 * TransferBackbone.Features, actual.Length);
        Assert.True(max < 1e-3, $"max |diff| {max}");
        Assert.True(whole < 1e-4, $"max |diff| {whole}");
        Assert.Contains(actual, v => v > 0.1f);
    }

    [Fact]
    public void ExportTransfer_FineTuned_CarriesTheTrainedStageAndEqualsTorchSharp()
    {
        torch.manual_seed(4);
        var shape = new ImageShape(3, 24, 24);
        var options = new ModelOptions(3, new Normalization(0.5f, 0.25f), 3, 24, 24);
        using var model = new FineTunedTransfer(options);
        // "Trained": every stage weight moved a little, so the package's weights would give other answers.
        using (torch.no_grad())
        {
            foreach (var parameter in model.Stage.parameters())
            {
                parameter.add_(torch.randn_like(parameter) * 0.01);
            }
        }

        model.eval();
        var image = new ImageInputSpec(shape, ResizePolicy.ShorterSideCenterCrop, ImagePolarity.AsIs);
        string path = Path.Combine(_dir, "fine-tuned.onnx");
        OnnxExporter.SaveTransfer(model, OnnxExportOptions.For(TransferHead.Name, ["a", "b", "c"], new Normalization(0.5f, 0.25f), image), path);
        var images = RandomImages(5, shape, 6);
        using var x = torch.tensor(StageInputs(images, shape), [5, StageGraph.Channels, StageGraph.Size, StageGraph.Size]);
        using var expected = model.call(x);
        using var packageStage = model.Head.call(new BackboneStage(TransferBackbone.LastStage).call(x));

        using var onnx = new OnnxClassifier(path);
        float[] actual = onnx.Score(images);

        double max = expected.data<float>().ToArray().Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        double untrained = packageStage.data<float>().ToArray().Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"fine-tuned export (ONNX Runtime from pixels) vs TorchSharp stage + head on the cached activations: max |diff| {max:E2} " +
            $"(vs the package's stage: {untrained:E2}); {new FileInfo(path).Length / 1e6:F1} MB");
        Assert.True(max < 1e-3, $"max |diff| {max}");
        Assert.True(untrained > 10 * max, $"the export does not carry the trained stage: {untrained} vs {max}");
        var metadata = Inference.Runtime.ModelInspector.Describe(File.ReadAllBytes(path));
        Assert.Equal(image, metadata.Signature.Input.Image);
        using var session = new InferenceSession(path);
        Assert.Equal(TransferBackbone.FineTunedStage, session.ModelMetadata.CustomMetadataMap[TransferBackbone.FineTunedKey]);
    }
}
