using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;
using Lepton.Pipeline;
using Lepton.Tests;
using SkiaSharp;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Lepton.Host.Tests;

/// <summary>
/// Color models on both hosts. A small `cnn` is trained once per test run on generated color folders whose
/// class only the hue tells (<see cref="ColorDatasets"/>, with a little label noise so its card has mistakes
/// to show), by the trainer as the pipeline starts it, and published with its card; then the same requests
/// to <c>lepton serve</c> and the Functions app: predict from a color PNG, a 500x300 JPEG and a 16x16 PNG, an
/// RGBA PNG answered as its composite over white, OIP v2 infer with [1,3,H,W], explain on a color picture,
/// and the card's mistakes grid in color. A `transfer` model (the frozen ImageNet ResNet18, about 45 MB) is
/// served under the Functions host, its load timed; the console tries the color model with a picture.
/// </summary>
[Collection(HostsCollection.Name)]
public sealed class ColorConformanceTests(HostsFixture fixture, ITestOutputHelper output)
{
    private static readonly Lazy<Task<(string Run, string Data)>> Cnn = new(() => TrainAsync("cnn", perClass: 120, mislabeledEvery: 12,
        ["--epochs", "3", "--lr", "0.002", "--batch-size", "32"]));

    private static readonly Lazy<Task<(string Run, string Data)>> Transfer = new(() => TrainAsync("transfer", perClass: 16, mislabeledEvery: 0,
        ["--epochs", "8", "--lr", "0.01", "--batch-size", "16"]));

    private static readonly SemaphoreSlim PublishGate = new(1, 1);
    private static readonly Dictionary<string, string> Published = new(StringComparer.Ordinal);

    private static async Task<(string Run, string Data)> TrainAsync(string arch, int perClass, int mislabeledEvery, string[] options)
    {
        string root = TestDatasets.ProcessTempFolder($"lepton-color-{arch}-");
        var prepared = DatasetPreparation.Prepare(ColorDatasets.WriteFolders(Path.Combine(root, "colors"), perClass, mislabeledEvery), Path.Combine(root, "work"));
        string run = Path.Combine(root, "run");
        await TrainedRun.TrainerAsync(["train", "--arch", arch, "--data", prepared.Folder, "--out", run, "--seed", "3", "--threads", "1", .. options],
            Path.Combine(root, "trainer.log"), new Dictionary<string, string> { [LeptonSettings.FeatureCache] = Path.Combine(root, "features") });
        return (run, prepared.Folder);
    }

    /// <summary>The model trained as <paramref name="arch"/>, published once in the fixture's registry.</summary>
    private async Task<string> ModelAsync(string arch)
    {
        await PublishGate.WaitAsync();
        try
        {
            if (Published.TryGetValue(arch, out string? name))
            {
                return name;
            }

            var (run, data) = await (arch == "cnn" ? Cnn : Transfer).Value;
            name = $"colors-{arch}-{Guid.NewGuid().ToString("N")[..8]}";
            await TrainedRun.PublishAsync(fixture.Registry, name, run, data);
            Published[arch] = name;
            return name;
        }
        finally
        {
            PublishGate.Release();
        }
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, string path, byte[] bytes, string mediaType)
    {
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await client.PostAsync(path, content);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static async Task<JsonElement> PredictAsync(HttpClient client, string model, byte[] picture, string mediaType = "image/png")
    {
        var (status, body) = await PostAsync(client, $"/api/models/{model}/predict", picture, mediaType);
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        return body.GetProperty("predictions")[0];
    }

    private static async Task<float[]> InferAsync(HttpClient client, string model, float[] pixels, ImageShape shape)
    {
        string json = $$"""{"inputs":[{"name":"pixels","shape":[1,{{shape.Channels}},{{shape.Height}},{{shape.Width}}],"datatype":"FP32","data":[{{string.Join(',', pixels.Select(p => p.ToString(CultureInfo.InvariantCulture)))}}]}]}""";
        var (status, body) = await PostAsync(client, $"/v2/models/{model}/infer", Encoding.UTF8.GetBytes(json), "application/json");
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        return body.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(v => v.GetSingle()).ToArray();
    }

    private static float[] Softmax(float[] logits)
    {
        float max = logits.Max();
        var e = logits.Select(v => MathF.Exp(v - max)).ToArray();
        float sum = e.Sum();
        return e.Select(v => v / sum).ToArray();
    }

    /// <summary>A red square on light gray in a 500x300 JPEG: larger and wider than any picture trained on.</summary>
    private static byte[] RedJpeg(Random random) => ImageFiles.EncodeColor(
        (x, y) => x is > 100 and < 400 && y is > 50 and < 250 ? ColorDatasets.Scaled(ColorDatasets.Classes[2].Color, 0.9, random) : new SKColor(220, 220, 220),
        500, 300, SKEncodedImageFormat.Jpeg);

    /// <summary>How many pixels of the PNG are clearly colored (channels more than 60 apart).</summary>
    private static int ColoredPixels(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        int colored = 0;
        for (int y = 0; y < bitmap.Height; y++)
        {
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                colored += Math.Max(c.Red, Math.Max(c.Green, c.Blue)) - Math.Min(c.Red, Math.Min(c.Green, c.Blue)) > 60 ? 1 : 0;
            }
        }

        return colored;
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task ColorModel_PredictsPngJpegAndAlpha_InfersExplainsAndShowsMistakesInColor(string host)
    {
        var client = await fixture.ClientAsync(host);
        string model = await ModelAsync("cnn");
        var random = new Random(11);

        // The signature a server reads: three channels at the data's size, shorter side then center crop.
        using (var metadata = await client.GetAsync($"/v2/models/{model}"))
        {
            var input = JsonDocument.Parse(await metadata.Content.ReadAsStringAsync()).RootElement.GetProperty("inputs")[0];
            Assert.Equal(3, input.GetProperty("shape")[1].GetInt32());
        }

        var image = (await fixture.Registry.GetManifestAsync(model, 1)).Signature.Input.Image!;
        Assert.Equal((3, ResizePolicy.ShorterSideCenterCrop), (image.Shape.Channels, image.Resize));

        foreach (var (name, color) in ColorDatasets.Classes)
        {
            var png = await PredictAsync(client, model, ColorDatasets.Square(color, 90, 60, random));
            Assert.Equal(name, png.GetProperty("label").GetString());
        }

        Assert.Equal("red", (await PredictAsync(client, model, RedJpeg(random), "image/jpeg")).GetProperty("label").GetString());
        Assert.Equal("blue", (await PredictAsync(client, model, ColorDatasets.Square(ColorDatasets.Classes[0].Color, 16, 16, random))).GetProperty("label").GetString());

        // An RGBA PNG, half transparent: answered as its composite over white, as OIP v2 answers that composite.
        byte[] transparent = ColorDatasets.Square(ColorDatasets.Classes[2].Color, 40, 40, new Random(5), alpha: 128);
        float[] composite = ImageDecoder.Decode(transparent, image, ImageInversion.Never, ImageDecoder.DefaultMaxPixels);
        var alpha = await PredictAsync(client, model, transparent);
        float[] probabilities = Softmax(await InferAsync(client, model, composite, image.Shape));
        int expected = Array.IndexOf(probabilities, probabilities.Max());
        Assert.Equal(expected, alpha.GetProperty("class").GetInt32());
        Assert.Equal(probabilities[expected], alpha.GetProperty("probability").GetSingle(), 4);

        // OIP v2 [1,3,H,W]: a green square drawn straight into the tensor is green.
        var green = ColorDatasets.GreenBandTensor(image.Shape.Height, image.Shape.Width);

        float[] logits = await InferAsync(client, model, green, image.Shape);
        Assert.Equal(1, Array.IndexOf(logits, logits.Max()));

        // Explain on a color picture: a heatmap at the model's size.
        var (explainStatus, explained) = await PostAsync(client, $"/api/models/{model}/explain", ColorDatasets.Square(ColorDatasets.Classes[0].Color, 50, 50, random), "image/png");
        Assert.True(explainStatus == HttpStatusCode.OK, explained.ToString());
        Assert.Equal("blue", explained.GetProperty("label").GetString());
        var heatmap = explained.GetProperty("heatmap");
        Assert.Equal((image.Shape.Height, image.Shape.Width), (heatmap.GetArrayLength(), heatmap[0].GetArrayLength()));

        // The card's mistakes grid (the mislabeled test pictures) is drawn in color.
        using var mistakes = await client.GetAsync($"/api/models/{model}/versions/1/card/mistakes.png");
        Assert.Equal(HttpStatusCode.OK, mistakes.StatusCode);
        int colored = ColoredPixels(await mistakes.Content.ReadAsByteArrayAsync());
        Assert.True(colored > 1000, $"{colored} colored pixels in the mistakes grid");
        Assert.DoesNotContain(fixture.Output(host).Split('\n'), line => line.Contains("Unhandled", StringComparison.Ordinal));
    }

    [FunctionsHostFact]
    public async Task TransferModel_OnTheFunctionsHost_LoadsAndPredictsInColor()
    {
        var clock = Stopwatch.StartNew();
        string model = await ModelAsync("transfer");
        var trained = clock.Elapsed;
        var host = await fixture.FunctionsAsync();
        var manifest = await fixture.Registry.GetManifestAsync(model, 1);
        Assert.Equal("transfer", manifest.Architecture);
        var random = new Random(13);

        // The first prediction loads the model (SHA-256, ONNX Runtime session, warm-up); the second finds it loaded.
        clock.Restart();
        var first = await PredictAsync(host.Client, model, RedJpeg(random), "image/jpeg");
        var firstPrediction = clock.Elapsed;
        clock.Restart();
        var second = await PredictAsync(host.Client, model, ColorDatasets.Square(ColorDatasets.Classes[0].Color, 16, 16, random));
        var secondPrediction = clock.Elapsed;
        output.WriteLine($"transfer model of {manifest.SizeBytes / 1e6:F1} MB: trained and published in {trained.TotalSeconds:F1} s; " +
            $"first prediction under the Functions host (load included) {firstPrediction.TotalSeconds:F2} s, second {secondPrediction.TotalMilliseconds:F0} ms");

        Assert.Equal("red", first.GetProperty("label").GetString());
        Assert.Equal("blue", second.GetProperty("label").GetString());
        Assert.DoesNotContain(fixture.Output(Hosts.Functions).Split('\n'), line => line.Contains("Unhandled", StringComparison.Ordinal));
    }

    [BrowserFact]
    public async Task Console_OnServe_TriesAColorModelWithAPictureAndNoCanvas() =>
        await TryAColorModelInTheConsoleAsync((await fixture.ServeAsync()).Client.BaseAddress!, "serve-try-color");

    [FunctionsBrowserFact]
    public async Task Console_OnFunctionsHost_TriesAColorModelWithAPictureAndNoCanvas() =>
        await TryAColorModelInTheConsoleAsync((await fixture.FunctionsAsync()).Client.BaseAddress!, "functions-try-color");

    /// <summary>The console of the server at <paramref name="address"/>: a color model is tried with a picture (no canvas), its card's images load, and the preview is in color.</summary>
    private async Task TryAColorModelInTheConsoleAsync(Uri address, string screenshot)
    {
        string model = await ModelAsync("cnn");
        await using var browser = await ConsoleBrowser.LaunchAsync();
        var page = await browser.OpenAsync(address);

        await page.Locator($"#models tr[data-model='{model}'] button").ClickAsync();
        await Expect(page.Locator("#model-title")).ToHaveTextAsync(model);
        await Expect(page.Locator("#drop")).ToBeVisibleAsync();
        await Expect(page.Locator("#draw-panel")).ToBeHiddenAsync();
        await page.Locator("#card-images figure[data-image=mistakes] img").WaitForAsync();
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('#card-images img')].every(i => i.complete && i.naturalWidth > 0)");

        string file = Path.Combine(Path.GetTempPath(), $"lepton-console-red-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(file, ColorDatasets.Square(ColorDatasets.Classes[2].Color, 60, 60, new Random(3)));
        try
        {
            await page.Locator("#file").SetInputFilesAsync(file);
            await Expect(page.Locator("#top li")).ToHaveCountAsync(3);
            await Expect(page.Locator("#prediction")).ToContainTextAsync("red (");
            await Expect(page.Locator("#heatmap")).ToBeVisibleAsync();
        }
        finally
        {
            File.Delete(file);
        }

        // The picture sent is previewed in color: the middle of the preview is red.
        int[] middle = await page.EvaluateAsync<int[]>("() => { const c = document.getElementById('input-view'); return [...c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data]; }");
        Assert.True(middle[0] > 150 && middle[1] < 100 && middle[2] < 100, string.Join(", ", middle));
        await ConsoleBrowser.ScreenshotAsync(page, screenshot, "#try");

        var errors = browser.Errors.Where(e => !(e.Contains("status of 404", StringComparison.Ordinal) && e.Contains("/card", StringComparison.Ordinal))).ToList();
        Assert.True(errors.Count == 0, string.Join('\n', errors));
    }
}
