using Lepton.Core.Contracts;
using Lepton.Core.Registry;

namespace Lepton.Core.Tests.Contracts;

public sealed class ModelSignatureTests
{
    private static readonly string[] Ten = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    [Fact]
    public void Json_RoundTrip_KeepsEveryField()
    {
        var signature = ModelSignature.ImageClassifier(new ImageInputSpec(new ImageShape(3, 64, 48), ResizePolicy.Fit, ImagePolarity.AsIs), ["cat", "dog"]);

        string json = LeptonJson.Serialize(signature);
        var read = LeptonJson.Deserialize<ModelSignature>(json, "test");

        Assert.Contains("\"kind\": \"classifier\"", json, StringComparison.Ordinal);
        Assert.Contains("\"polarity\": \"asIs\"", json, StringComparison.Ordinal);
        Assert.Equal(signature.Input, read.Input);
        Assert.Equal(["cat", "dog"], read.Output.Labels);
        Assert.Equal((ModelKind.Classifier, OutputKind.Logits, "logits"), (read.Kind, read.Output.Kind, read.Output.Tensor));
        Assert.Equal(3 * 64 * 48, read.Input.Values);
    }

    [Fact]
    public void OldManifest_WithoutSignature_IsA28x28GrayscaleLightOnDarkClassifier()
    {
        const string Old = """
            {"schema":1,"name":"fashion","version":3,"createdAt":"2026-11-01T00:00:00+00:00","architecture":"cnn",
             "inputs":[{"name":"pixels","datatype":"FP32","shape":[-1,1,28,28]}],
             "outputs":[{"name":"logits","datatype":"FP32","shape":[-1,10]}],
             "labels":["0","1","2","3","4","5","6","7","8","9"],"metrics":{},"sha256":"ab","sizeBytes":10}
            """;

        var manifest = LeptonJson.Deserialize<ModelManifest>(Old, "manifest.json");

        Assert.Equal(ModelKind.Classifier, manifest.Kind);
        Assert.Equal(InputKind.Image, manifest.Signature.Input.Kind);
        Assert.Equal(new ImageInputSpec(new ImageShape(1, 28, 28), ResizePolicy.Fit, ImagePolarity.LightOnDark), manifest.Signature.Input.Image);
        Assert.Equal(Ten, manifest.Signature.Output.Labels);
        Assert.Empty(manifest.Signature.Check(manifest.Inputs, manifest.Outputs));
    }

    [Fact]
    public void OldGeneratorManifest_WithoutSignature_IsALatentToImageGenerator()
    {
        const string Old = """
            {"name":"gan","version":1,"createdAt":"2026-11-01T00:00:00+00:00","kind":"generator","latentSize":16,
             "inputs":[{"name":"latent","datatype":"FP32","shape":[-1,16]}],
             "outputs":[{"name":"image","datatype":"FP32","shape":[-1,1,28,28]}],"sha256":"ab","sizeBytes":10}
            """;

        var signature = LeptonJson.Deserialize<ModelManifest>(Old, "manifest.json").Signature;

        Assert.Equal((ModelKind.Generator, InputKind.Latent, 16, OutputKind.Image), (signature.Kind, signature.Input.Kind, signature.Input.LatentSize, signature.Output.Kind));
        Assert.Equal(new ImageShape(1, 28, 28), signature.Output.Image);
    }

    [Fact]
    public void NewManifest_WritesItsSignature_AndReadsItBack()
    {
        var manifest = new ModelManifest
        {
            Name = "icons", Version = 1, CreatedAt = DateTimeOffset.UnixEpoch, Sha256 = "ab", SizeBytes = 1,
            Inputs = [new TensorSpec("pixels", "FP32", [-1, 3, 32, 32])],
            Outputs = [new TensorSpec("logits", "FP32", [-1, 2])],
            Signature = ModelSignature.ImageClassifier(new ImageInputSpec(new ImageShape(3, 32, 32), ResizePolicy.Fit, ImagePolarity.AsIs), ["a", "b"]),
        };

        var read = LeptonJson.Deserialize<ModelManifest>(LeptonJson.Serialize(manifest), "manifest.json");

        Assert.Equal(ImagePolarity.AsIs, read.Signature.Input.Image!.Polarity);
        Assert.Equal(3, read.Signature.Input.Image.Shape.Channels);
    }

    [Theory]
    [InlineData("pixels", 1, 28, 28, "logits", 10, 0)]
    [InlineData("pixels", 3, 28, 28, "logits", 10, 1)]
    [InlineData("pixels", 1, 28, 28, "logits", 7, 1)]
    [InlineData("input", 1, 28, 28, "logits", 10, 1)]
    [InlineData("pixels", 1, 32, 28, "scores", 10, 2)]
    public void Check_NamesEachMismatch(string input, int channels, int height, int width, string output, int classes, int problems)
    {
        var signature = ModelSignature.ImageClassifier(new ImageInputSpec(new ImageShape(1, 28, 28)), Ten);

        var found = signature.Check([new TensorSpec(input, "FP32", [-1, channels, height, width])], [new TensorSpec(output, "FP32", [-1, classes])]);

        Assert.Equal(problems, found.Count);
    }

    [Fact]
    public void Check_ModelWithTwoInputs_IsRefused()
    {
        var signature = ModelSignature.ImageClassifier(new ImageInputSpec(new ImageShape(1, 28, 28)), Ten);

        var found = signature.Check([new TensorSpec("pixels", "FP32", [-1, 1, 28, 28]), new TensorSpec("mask", "FP32", [-1, 1])], [new TensorSpec("logits", "FP32", [-1, 10])]);

        Assert.Contains("2 inputs", Assert.Single(found), StringComparison.Ordinal);
    }

    [Fact]
    public void ModelOfAnotherShape_IsATensorInput_ThatFitsItsModel()
    {
        TensorSpec input = new("features", "FP32", [-1, 784]), output = new("scores", "FP32", [-1, 3]);

        var signature = ModelSignature.Infer(ModelKind.Classifier, input, output, ["a", "b", "c"]);

        Assert.Equal(InputKind.Tensor, signature.Input.Kind);
        Assert.Equal([784L], signature.Input.Shape);
        Assert.Null(signature.Input.Image);
        Assert.Equal(784, signature.Input.Values);
        Assert.Empty(signature.Check([input], [output]));
    }
}
