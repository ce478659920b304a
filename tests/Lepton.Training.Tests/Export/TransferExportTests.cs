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
}
