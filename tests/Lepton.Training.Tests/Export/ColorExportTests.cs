using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Inference;
using Lepton.Training.Export;
using Lepton.Training.Models;
using TorchSharp;

namespace Lepton.Training.Tests.Export;

/// <summary>Every classifier family on color pictures that are neither 28x28 nor square: built, exported, and the same in ONNX Runtime.</summary>
public sealed class ColorExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-color-export-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("cnn", 3, 40, 24)]
    [InlineData("cnn", 3, 16, 16)]
    [InlineData("cnn-bn", 3, 64, 48)]
    [InlineData("mlp", 3, 20, 36)]
    [InlineData("resnet", 3, 40, 24)]
    [InlineData("resnet", 1, 28, 28)]
    [InlineData("gru", 3, 24, 20)]
    [InlineData("lstm", 1, 32, 18)]
    public void Export_ColorModel_TakesNCHWAndMatchesTorchSharp(string architecture, int channels, int height, int width)
    {
        torch.manual_seed(1);
        var image = new ImageInputSpec(new ImageShape(channels, height, width), ResizePolicy.ShorterSideCenterCrop, ImagePolarity.AsIs);
        using var model = ArchitectureRegistry.Get(architecture).Create(new ModelOptions(4, new Normalization(0.5f, 0.25f), channels, height, width));
        model.eval();
        string path = Path.Combine(_dir, $"{architecture}.onnx");

        OnnxExporter.Save(model, OnnxExportOptions.For(architecture, ["a", "b", "c", "d"], new Normalization(0.5f, 0.25f), image), path);

        using var onnx = new OnnxClassifier(path);
        var pixels = new float[5 * image.Shape.Values];
        var random = new Random(2);
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = random.NextSingle();
        }

        using var input = torch.tensor(pixels, [5, channels, height, width]);
        using var expected = model.call(input);
        float[] actual = onnx.Run(pixels, 5);
        Assert.All(expected.data<float>().ToArray().Zip(actual), p => Assert.Equal(p.First, p.Second, 4));
        var written = Inference.Runtime.ModelInspector.Describe(File.ReadAllBytes(path)).Signature;
        Assert.Equal(image, written.Input.Image);
    }
}
