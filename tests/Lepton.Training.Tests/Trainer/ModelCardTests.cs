using System.Diagnostics;
using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Tests;
using Lepton.Trainer;
using SkiaSharp;

namespace Lepton.Training.Tests.Trainer;

/// <summary>
/// A model card from a real (tiny) training run: the trainer's files, published with
/// 'lepton models publish --run', read back with 'lepton models card'.
/// </summary>
public sealed class ModelCardTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-card-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Mistakes_ColorImages_AreDrawnInColorAtTheirSize()
    {
        var red = new byte[3 * 40 * 40];
        Array.Fill(red, (byte)255, 0, 40 * 40); // the red plane full, green and blue empty

        using var grid = SKBitmap.Decode(Cards.CardPlots.Mistakes([new Cards.CardPlots.Mistake(red, 40, 40, "red", "blue", 0.9f, Channels: 3)], "mistakes"));

        Assert.Equal(new SKColor(255, 0, 0), grid.GetPixel(10 + 40, 36 + 40)); // the centre of the 2x (80 pixel) image
    }

    [Fact]
    public void TrainedRun_PublishedWithItsCard_HasEveryFieldAndThreeImages()
    {
        string data = TestDatasets.WriteSlice(Path.Combine(_dir, "data"), train: 600, test: 200);
        string run = Path.Combine(_dir, "run");
        new TrainingJob(new TrainingJobSpec { Architecture = "cnn", Data = data, Output = run, Epochs = 2, Seed = 3 }, TextWriter.Null).Run();
        var predictions = LeptonJson.ReadFile<TestPredictions>(Path.Combine(run, RunFolder.Predictions));
        var metrics = LeptonJson.ReadFile<TrainingMetrics>(Path.Combine(run, RunFolder.Metrics));
        string store = Path.Combine(_dir, "store"), cardDir = Path.Combine(_dir, "card");

        var (code, output) = LeptonCli.Run("models", "publish", "--store", store, "--name", "fashion", "--run", run);
        Assert.True(code == 0, output);
        (code, output) = LeptonCli.Run("models", "card", "fashion", "--store", store, "--out", cardDir);
        Assert.True(code == 0, output);

        // predictions.json agrees with metrics.json: the same ONNX Runtime evaluation
        Assert.Equal(200, predictions.Actual.Count);
        Assert.Equal(metrics.Test.Accuracy, predictions.Actual.Zip(predictions.Predicted).Count(p => p.First == p.Second) / 200.0, 6);
        using var card = JsonDocument.Parse(File.ReadAllText(Path.Combine(cardDir, "card.json")));
        var root = card.RootElement;
        Assert.Equal("fashion", root.GetProperty("model").GetString());
        Assert.Equal(1, root.GetProperty("version").GetInt32());
        Assert.Equal("classifier", root.GetProperty("kind").GetString());
        Assert.Equal("cnn", root.GetProperty("architecture").GetString());
        // conv 32@5x5, conv 64@5x5, dense 1024->128, dense 128->10, with biases; plus the folded mean and std
        Assert.InRange(root.GetProperty("parameters").GetInt64(), 184_586, 184_600);
        var counts = root.GetProperty("dataset").GetProperty("classCounts");
        Assert.Equal(600, counts.EnumerateObject().Sum(c => c.Value.GetInt32()));
        Assert.Equal(TestDatasets.FashionMnist.Train.Take(600).Labels.Count(l => l == 0), counts.GetProperty(MnistDataset.FashionMnistLabels[0]).GetInt32());
        Assert.Equal(2, root.GetProperty("training").GetProperty("epochs").GetInt32());
        Assert.False(root.GetProperty("training").TryGetProperty("output", out _));
        var m = root.GetProperty("metrics");
        Assert.Equal(metrics.Test.Accuracy, m.GetProperty("accuracy").GetDouble(), 9);
        Assert.Equal(metrics.Test.MacroF1, m.GetProperty("macroF1").GetDouble(), 9);
        Assert.Equal(10, m.GetProperty("perClass").GetArrayLength());
        Assert.Equal(200, m.GetProperty("perClass").EnumerateArray().Sum(c => c.GetProperty("support").GetInt32()));
        Assert.True(m.GetProperty("perClass")[0].TryGetProperty("f1", out _));
        Assert.Equal(0, root.GetProperty("missing").GetArrayLength());
        var images = root.GetProperty("images");
        foreach (var (key, minWidth, minHeight) in new[] { ("curves", 800, 300), ("confusion", 600, 500), ("mistakes", 400, 150) })
        {
            Assert.Equal($"/api/models/fashion/versions/1/card/{key}.png", images.GetProperty(key).GetString());
            using var bitmap = SKBitmap.Decode(Path.Combine(cardDir, key + ".png"));
            Assert.NotNull(bitmap);
            Assert.True(bitmap.Width >= minWidth && bitmap.Height >= minHeight, $"{key}.png is {bitmap.Width}x{bitmap.Height}");
            Assert.True(DistinctColors(bitmap) > 20, $"{key}.png is nearly blank");
        }
    }

    private static int DistinctColors(SKBitmap bitmap)
    {
        var colors = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y += 3)
        {
            for (int x = 0; x < bitmap.Width; x += 3)
            {
                colors.Add((uint)bitmap.GetPixel(x, y));
            }
        }

        return colors.Count;
    }
}
