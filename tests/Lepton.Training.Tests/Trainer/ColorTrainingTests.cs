using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;
using Lepton.Pipeline;
using Lepton.Tests;
using Lepton.Trainer;
using SkiaSharp;
using Xunit.Abstractions;
using static Lepton.Tests.ColorDatasets;

namespace Lepton.Training.Tests.Trainer;

/// <summary>
/// Color through every layer: class folders of noisy squares whose class only their hue tells
/// (<see cref="ColorDatasets"/>) prepared from PNGs, trained with
/// cnn, published to a folder store, and served by 'lepton serve' from PNG, alpha PNG and OIP v2 tensors.
/// </summary>
public sealed class ColorTrainingTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-color-train-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Folders(int perClass) => ColorDatasets.WriteFolders(Path.Combine(_dir, "colors"), perClass);

    [Fact]
    public async Task ColorFolders_TrainedWithCnn_AreServedInColorFromPngAndTensors()
    {
        var prepared = DatasetPreparation.Prepare(Folders(perClass: 180), Path.Combine(_dir, "work"));
        var image = MnistDataset.Load(prepared.Folder).Image;
        Assert.Equal(3, image.Shape.Channels);
        string run = Path.Combine(_dir, "run");
        var metrics = new TrainingJob(new TrainingJobSpec { Architecture = "cnn", Data = prepared.Folder, Output = run, Epochs = 2, BatchSize = 32, LearningRate = 0.002, Seed = 3 }, TextWriter.Null).Run();
        output.WriteLine($"prepared {image.Shape}; test accuracy {metrics.Test.Accuracy:F4} on {metrics.Test.Examples} images; parity max |diff| {metrics.Parity.MaxAbsDifference:E2}");
        Assert.True(metrics.Test.Accuracy >= 0.9, $"test accuracy {metrics.Test.Accuracy}");

        // The signature round trip: trainer -> ONNX metadata -> manifest -> server.
        var written = ModelInspector.Describe(File.ReadAllBytes(Path.Combine(run, RunFolder.Model))).Signature;
        Assert.Equal(ModelSignature.ImageClassifier(image, ["blue", "green", "red"]).Input, written.Input);
        Assert.Equal(new ImageInputSpec(image.Shape, ResizePolicy.ShorterSideCenterCrop, ImagePolarity.AsIs), written.Input.Image);
        string store = Path.Combine(_dir, "store");
        var (code, published) = LeptonCli.Run("models", "publish", "--store", store, "--name", "colors", "--run", run);
        Assert.True(code == 0, published);
        var (showCode, show) = LeptonCli.Run("models", "show", "colors", "--store", store);
        Assert.True(showCode == 0, show);
        var stored = LeptonJson.Deserialize<ModelSignature>(JsonDocument.Parse(show).RootElement.GetProperty("versions")[0].GetProperty("signature").GetRawText(), "manifest");
        Assert.Equal(written.Input, stored.Input);

        await using var server = await ServerProcess.StartAsync(store);
        var random = new Random(11);
        foreach (var (name, color) in Classes)
        {
            // A picture larger and wider than any trained on.
            var png = await PredictAsync(server, Square(color, 90, 60, random));
            Assert.Equal(name, png.GetProperty("label").GetString());
        }

        // Explain on a color picture: a heatmap at the model's size, and a PNG in color.
        using (var content = new ByteArrayContent(Square(Classes[0].Color, 50, 50, random)))
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            using var explained = await server.Client.PostAsync("/api/models/colors/explain", content);
            string text = await explained.Content.ReadAsStringAsync();
            Assert.True(explained.StatusCode == HttpStatusCode.OK, text);
            var heatmap = JsonDocument.Parse(text).RootElement.GetProperty("heatmap");
            Assert.Equal((image.Shape.Height, image.Shape.Width), (heatmap.GetArrayLength(), heatmap[0].GetArrayLength()));
            Assert.Equal("blue", JsonDocument.Parse(text).RootElement.GetProperty("label").GetString());
        }

        // A half-transparent picture is predicted as its composite over white.
        byte[] transparent = Square(Classes[2].Color, 40, 40, new Random(5), alpha: 128);
        float[] composite = ImageDecoder.Decode(transparent, image, ImageInversion.Never, ImageDecoder.DefaultMaxPixels);
        var alpha = await PredictAsync(server, transparent);
        float[] probabilities = Softmax((await InferAsync(server, composite, image.Shape))[0]);
        int expected = Array.IndexOf(probabilities, probabilities.Max());
        Assert.Equal(expected, alpha.GetProperty("class").GetInt32());
        Assert.Equal(probabilities[expected], alpha.GetProperty("probability").GetSingle(), 4);

        // OIP v2 takes [1,3,H,W]: a pure green tensor is green.
        var green = ColorDatasets.GreenBandTensor(image.Shape.Height, image.Shape.Width);

        var logits = (await InferAsync(server, green, image.Shape))[0];
        Assert.Equal(1, Array.IndexOf(logits, logits.Max()));
    }

    [Fact]
    public void ColorFolders_TrainedWithResnet_LearnTheHue()
    {
        var prepared = DatasetPreparation.Prepare(Folders(perClass: 40), Path.Combine(_dir, "work"));
        var metrics = new TrainingJob(new TrainingJobSpec { Architecture = "resnet", Data = prepared.Folder, Output = Path.Combine(_dir, "resnet"), Epochs = 2, BatchSize = 16, LearningRate = 0.005, Seed = 3 }, TextWriter.Null).Run();

        output.WriteLine($"resnet: test accuracy {metrics.Test.Accuracy:F4} on {metrics.Test.Examples} images; parity max |diff| {metrics.Parity.MaxAbsDifference:E2}");
        Assert.True(metrics.Test.Accuracy >= 0.8, $"test accuracy {metrics.Test.Accuracy}");
        Assert.True(metrics.Parity.MaxAbsDifference < 1e-3, $"parity max |diff| {metrics.Parity.MaxAbsDifference}");
    }

    [Fact]
    public async Task ColorFolders_TrainedWithTransfer_AreServedFromAJpegAndATinyPng()
    {
        var prepared = DatasetPreparation.Prepare(Folders(perClass: 20), Path.Combine(_dir, "work"));
        var image = MnistDataset.Load(prepared.Folder).Image;
        string run = Path.Combine(_dir, "transfer");
        var log = new StringWriter();
        // With augment: the training images mirrored too (featurized once; 17 of the 20 a class train).
        var metrics = new TrainingJob(new TrainingJobSpec { Architecture = "transfer", Data = prepared.Folder, Output = run, Epochs = 8, BatchSize = 16, LearningRate = 0.01, Seed = 3, Augment = true }, log).Run();
        Assert.Contains("features: 51 images", log.ToString(), StringComparison.Ordinal); // 3 x 17, then their mirror images
        Assert.Equal(2, log.ToString().Split('\n').Count(l => l.StartsWith("features: 51 images", StringComparison.Ordinal)));
        output.WriteLine($"transfer: test accuracy {metrics.Test.Accuracy:F4} on {metrics.Test.Examples} images; parity max |diff| {metrics.Parity.MaxAbsDifference:E2}");
        Assert.True(metrics.Test.Accuracy >= 0.8, $"test accuracy {metrics.Test.Accuracy}");
        Assert.True(metrics.Parity.MaxAbsDifference < 1e-4, $"parity max |diff| {metrics.Parity.MaxAbsDifference}");
        var written = ModelInspector.Describe(File.ReadAllBytes(Path.Combine(run, RunFolder.Model))).Signature;
        Assert.Equal(ModelSignature.ImageClassifier(image, ["blue", "green", "red"]).Input, written.Input);

        string store = Path.Combine(_dir, "store");
        var (code, published) = LeptonCli.Run("models", "publish", "--store", store, "--name", "colors", "--run", run);
        Assert.True(code == 0, published);
        await using var server = await ServerProcess.StartAsync(store);
        var random = new Random(13);
        var jpeg = await PredictAsync(server, ImageFiles.EncodeColor((x, y) => x is > 100 and < 400 && y is > 50 and < 250 ? Scaled(Classes[2].Color, 0.9, random) : new SKColor(220, 220, 220), 500, 300, SKEncodedImageFormat.Jpeg), "image/jpeg");
        Assert.Equal("red", jpeg.GetProperty("label").GetString());
        var tiny = await PredictAsync(server, Square(Classes[0].Color, 16, 16, random));
        Assert.Equal("blue", tiny.GetProperty("label").GetString());
    }

    [Fact]
    public void ColorFolders_TrainedWithTransferFineTuned_TrainTheLastStageAndExportIt()
    {
        var prepared = DatasetPreparation.Prepare(Folders(perClass: 12), Path.Combine(_dir, "work"));
        string run = Path.Combine(_dir, "fine-tuned");
        var log = new StringWriter();
        var spec = new TrainingJobSpec { Architecture = "transfer", FineTune = true, Data = prepared.Folder, Output = run, Epochs = 3, BatchSize = 8, LearningRate = 0.001, Seed = 3, Threads = 2 };
        var metrics = new TrainingJob(spec, log).Run();
        output.WriteLine(log.ToString());
        output.WriteLine($"transfer --fine-tune: test accuracy {metrics.Test.Accuracy:F4} on {metrics.Test.Examples} images; parity max |diff| {metrics.Parity.MaxAbsDifference:E2}; {metrics.TrainSeconds:F1} s");

        Assert.True(metrics.Test.Accuracy >= 0.8, $"test accuracy {metrics.Test.Accuracy}");
        Assert.True(metrics.Parity.MaxAbsDifference < 1e-3, $"parity max |diff| {metrics.Parity.MaxAbsDifference}");
        Assert.Contains("features: 30 images", log.ToString(), StringComparison.Ordinal); // the training images' stage inputs (computed, or from the cache)
        Assert.True(JsonDocument.Parse(File.ReadAllText(Path.Combine(run, RunFolder.Spec))).RootElement.GetProperty("fineTune").GetBoolean());

        // The model's metadata -> the manifest, and the card's training settings, say what was trained.
        string store = Path.Combine(_dir, "store");
        var (code, published) = LeptonCli.Run("models", "publish", "--store", store, "--name", "fine-tuned", "--run", run);
        Assert.True(code == 0, published);
        var (showCode, show) = LeptonCli.Run("models", "show", "fine-tuned", "--store", store);
        Assert.True(showCode == 0, show);
        Assert.Equal("layer4", JsonDocument.Parse(show).RootElement.GetProperty("versions")[0].GetProperty("fineTuned").GetString());
        var card = JsonDocument.Parse(File.ReadAllText(Directory.GetFiles(store, "card.json", SearchOption.AllDirectories).Single())).RootElement;
        Assert.True(card.GetProperty("training").GetProperty("fineTune").GetBoolean(), card.ToString());
    }

    [Fact]
    public void FineTune_IntoTheFolderOfAFrozenTransferRun_SaysSo_InsteadOfLoadingTheWrongWeights()
    {
        var prepared = DatasetPreparation.Prepare(Folders(perClass: 6), Path.Combine(_dir, "work"));
        string run = Path.Combine(_dir, "same-folder");
        var frozen = new TrainingJobSpec { Architecture = "transfer", Data = prepared.Folder, Output = run, Epochs = 1, BatchSize = 8, Seed = 3, Threads = 2 };
        var first = new TrainingJob(frozen, TextWriter.Null).Run();

        var ex = Assert.Throws<InvalidOperationException>(() => new TrainingJob(frozen with { FineTune = true }, TextWriter.Null).Run());

        Assert.Contains("holds a checkpoint of 'transfer', not 'transfer (fine-tuned layer4)': use another output folder", ex.Message, StringComparison.Ordinal);
        var again = new TrainingJob(frozen, TextWriter.Null).Run(); // the frozen run itself still resumes from its own checkpoint
        Assert.Equal(0, again.TrainSeconds); // no epoch left to train
        Assert.Equal(first.Test.Accuracy, again.Test.Accuracy);
    }

    [Fact]
    public void Trainer_TransferAugmentationOtherThanFlip_IsAJobSpecError()
    {
        var spec = new TrainingJobSpec { Architecture = "transfer", Augment = true, Augmentations = ["crop", "flip"], Data = Folders(perClass: 2), Output = Path.Combine(_dir, "run") };

        var ex = Assert.Throws<JobSpecException>(() => new TrainingJob(spec, TextWriter.Null).Run());

        Assert.Contains("the one augmentation it takes is flip", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trainer_FineTuneOfAnotherFamily_IsAJobSpecError()
    {
        var prepared = DatasetPreparation.Prepare(Folders(perClass: 10), Path.Combine(_dir, "work"));

        var spec = new TrainingJobSpec { Architecture = "cnn", FineTune = true, Data = prepared.Folder, Output = Path.Combine(_dir, "run") };
        var ex = Assert.Throws<JobSpecException>(() => new TrainingJob(spec, TextWriter.Null).Run());
        var (code, text) = LeptonCli.Run("pipeline", "run", "--name", "colors", "--data", prepared.Folder, "--arch", "resnet", "--fine-tune", "--store", Path.Combine(_dir, "store"));

        Assert.Contains("fine-tune trains the last stage of the pretrained backbone of 'transfer': it does not apply to 'cnn'", ex.Message, StringComparison.Ordinal);
        Assert.NotEqual(0, code);
        Assert.Contains("it does not apply to 'resnet'", text, StringComparison.Ordinal);
    }

    [Fact]
    public void ColorFolders_PreparedGray_LeaveTheModelNearChance()
    {
        var prepared = DatasetPreparation.Prepare(Folders(perClass: 180), Path.Combine(_dir, "work"), images: new ImageFolderOptions(Channels: 1));
        var metrics = new TrainingJob(new TrainingJobSpec { Architecture = "cnn", Data = prepared.Folder, Output = Path.Combine(_dir, "gray"), Epochs = 2, BatchSize = 32, LearningRate = 0.002, Seed = 3, Channels = 1 }, TextWriter.Null).Run();

        output.WriteLine($"gray: test accuracy {metrics.Test.Accuracy:F4} on {metrics.Test.Examples} images");
        Assert.True(metrics.Test.Accuracy < 0.6, $"test accuracy {metrics.Test.Accuracy}: the hue was meant to be the only clue");
    }

    [Fact]
    public void Trainer_SpecAskingAnotherSize_IsAJobSpecError()
    {
        var prepared = DatasetPreparation.Prepare(Folders(perClass: 10), Path.Combine(_dir, "work"));

        var ex = Assert.Throws<JobSpecException>(() => new TrainingJob(new TrainingJobSpec { Data = prepared.Folder, Output = Path.Combine(_dir, "run"), ImageSize = 64 }, TextWriter.Null).Run());

        Assert.Contains("--image-size 64", ex.Message, StringComparison.Ordinal);
    }

    private static float[] Softmax(float[] logits)
    {
        float max = logits.Max();
        var e = logits.Select(v => MathF.Exp(v - max)).ToArray();
        float sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    private static async Task<JsonElement> PredictAsync(ServerProcess server, byte[] png, string mediaType = "image/png")
    {
        using var content = new ByteArrayContent(png);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await server.Client.PostAsync("/api/models/colors/predict", content);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("predictions")[0].Clone();
    }

    private static async Task<float[][]> InferAsync(ServerProcess server, float[] pixels, ImageShape shape)
    {
        string body = $$"""{"inputs":[{"name":"pixels","shape":[1,{{shape.Channels}},{{shape.Height}},{{shape.Width}}],"datatype":"FP32","data":[{{string.Join(',', pixels.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)))}}]}]}""";
        using var response = await server.Client.PostAsync("/v2/models/colors/infer", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return [JsonDocument.Parse(text).RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray()];
    }
}
