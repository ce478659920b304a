using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Inference;
using Lepton.Tests;
using Lepton.Trainer;

namespace Lepton.Training.Tests.Trainer;

/// <summary>
/// The whole path a user takes: the trainer's model.onnx, published with 'lepton models publish --run'
/// to Azurite, served by 'lepton serve', asked about a Fashion-MNIST image sent as a photo (dark
/// garment on white, scaled up) and as an Open Inference Protocol tensor.
/// </summary>
public sealed class TrainedModelServingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-serve-trained-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task TrainerModel_PublishedToAzurite_IsServedWithTheSameAnswers()
    {
        string data = TestDatasets.WriteSlice(Path.Combine(_dir, "data"), train: 2000, test: 200);
        string run = Path.Combine(_dir, "run");
        new TrainingJob(new Core.Contracts.TrainingJobSpec { Architecture = "cnn", Data = data, Output = run, Epochs = 1, Seed = 9 }, TextWriter.Null).Run();
        string name = "fashion-" + Guid.NewGuid().ToString("N")[..8];
        var written = Inference.Runtime.ModelInspector.Describe(File.ReadAllBytes(Path.Combine(run, RunFolder.Model))).Signature;
        Assert.Equal(ModelSignature.ImageClassifier(new ImageInputSpec(new ImageShape(1, 28, 28)), MnistDataset.FashionMnistLabels).Input, written.Input);
        Assert.Equal(MnistDataset.FashionMnistLabels, written.Output.Labels);

        var (code, output) = LeptonCli.Run("models", "publish", "--store", TestStores.AzuriteConnectionString, "--name", name, "--run", run);
        Assert.True(code == 0, output);
        Assert.Contains($"published {name} version 1", output, StringComparison.Ordinal);

        var test = TestDatasets.FashionMnist.Test.Take(20);
        using var local = new OnnxClassifier(Path.Combine(run, RunFolder.Model));
        int[] expected = Core.Evaluation.ClassificationReport.ArgMax(local.Score(test.Images), 10);
        await using var server = await ServerProcess.StartAsync(TestStores.AzuriteConnectionString);
        for (int i = 0; i < 5; i++)
        {
            float[] pixels = test.Images.Select([i]).ToScaledFloats();
            using var content = new ByteArrayContent(ImageFiles.AsPhoto(pixels));
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            using var response = await server.Client.PostAsync($"/api/models/{name}/predict", content);
            var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(expected[i], json.GetProperty("predictions")[0].GetProperty("class").GetInt32());
            Assert.Equal(MnistDataset.FashionMnistLabels[expected[i]], json.GetProperty("predictions")[0].GetProperty("label").GetString());
        }

        string body = $$"""{"inputs":[{"name":"pixels","shape":[1,1,28,28],"datatype":"UINT8","data":[{{string.Join(',', test.Images.Image(0).ToArray())}}]}]}""";
        using var infer = await server.Client.PostAsync($"/v2/models/{name}/infer", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        var logits = JsonDocument.Parse(await infer.Content.ReadAsStringAsync()).RootElement.GetProperty("outputs")[0].GetProperty("data")
            .EnumerateArray().Select(v => v.GetSingle()).ToArray();
        float[] localLogits = local.Run(test.Images.Select([0]).ToScaledFloats(), 1);
        Assert.Equal(localLogits.Length, logits.Length);
        Assert.All(localLogits.Zip(logits), p => Assert.Equal(p.First, p.Second, 4));

        var (showCode, show) = LeptonCli.Run("models", "show", name, "--store", TestStores.AzuriteConnectionString);
        Assert.Equal(0, showCode);
        using var manifest = JsonDocument.Parse(show);
        var version = manifest.RootElement.GetProperty("versions")[0];
        Assert.Equal("cnn", version.GetProperty("architecture").GetString());
        Assert.Equal(17, version.GetProperty("opset").GetInt32());
        Assert.True(version.GetProperty("metrics").GetProperty("accuracy").GetDouble() > 0.5);

        // The signature the trainer wrote is the manifest's and the one the server describes.
        var stored = LeptonJson.Deserialize<ModelSignature>(version.GetProperty("signature").GetRawText(), "manifest");
        Assert.Equal(written.Input, stored.Input);
        Assert.Equal(written.Output.Labels, stored.Output.Labels);
        using var details = JsonDocument.Parse(await server.Client.GetStringAsync($"/api/models/{name}"));
        var served = details.RootElement.GetProperty("versions")[0].GetProperty("signature");
        Assert.Equal("image", served.GetProperty("input").GetProperty("kind").GetString());
        Assert.Equal(28, served.GetProperty("input").GetProperty("image").GetProperty("shape").GetProperty("height").GetInt32());
    }
}
