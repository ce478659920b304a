using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Lepton.Cards;
using Lepton.Core.Contracts;
using Lepton.Core.Evaluation;
using Lepton.Inference.Decoding;
using Lepton.Inference.Explain;
using Lepton.Inference.Runtime;
using Lepton.Tests;
using SkiaSharp;

namespace Lepton.Host.Tests;

/// <summary>
/// The model card and explain routes, run against both hosts like <see cref="ServingConformanceTests"/>:
/// versions published here with cards made by <see cref="ModelCardMaker"/> from run files written here.
/// </summary>
[Collection(HostsCollection.Name)]
public sealed class CardAndExplainConformanceTests(HostsFixture fixture) : IDisposable
{
    private readonly string _run = Directory.CreateTempSubdirectory("lepton-card-run-").FullName;

    public void Dispose() => Directory.Delete(_run, recursive: true);

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    private async Task<string> PublishAsync(string prefix, byte[] model)
    {
        string name = prefix + "-" + Guid.NewGuid().ToString("N")[..8];
        var description = ModelInspector.Describe(model);
        var card = ModelCardMaker.Make(new CardSource(model, description, _run));
        await fixture.Registry.PublishAsync(name, new MemoryStream(model), description, card.Files);
        return name;
    }

    private async Task<string> PublishClassifierWithCardAsync()
    {
        byte[] model = TinyModels.Linear();
        var epochs = Enumerable.Range(1, 3).Select(e => new EpochRecord(e, 1.0 / e, 0.5 + (0.1 * e), 1.2 / e, 0.45 + (0.1 * e), 1, 100, 0.001)).ToArray();
        LeptonJson.WriteFile(Path.Combine(_run, "history.json"), new TrainingHistory("tiny-linear", epochs, null, false, 0));
        byte[] actual = Enumerable.Range(0, 50).Select(i => (byte)(i % 10)).ToArray();
        int[] predicted = Enumerable.Range(0, 50).Select(i => i % 7 == 0 ? (i + 1) % 10 : i % 10).ToArray();
        var report = ClassificationReport.Compute(actual, predicted, TinyModels.Labels);
        LeptonJson.WriteFile(Path.Combine(_run, "metrics.json"), new TrainingMetrics("tiny-linear", TinyModels.Labels, new Core.Data.Normalization(0.3f, 0.3f),
            100, 10, report, report.Accuracy, new ParityReport(50, 0, 0), 3, 100));
        File.WriteAllText(Path.Combine(_run, "job.json"), """{"architecture": "tiny-linear", "epochs": 3, "batchSize": 64, "data": "/somewhere", "output": "/else"}""");
        return await PublishAsync("card", model);
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task Card_ClassifierVersion_HasItsFieldsAndServesItsImages(string host)
    {
        var client = await fixture.ClientAsync(host);
        string name = await PublishClassifierWithCardAsync();

        using var response = await client.GetAsync($"/api/models/{name}/versions/1/card");
        var card = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(name, card.GetProperty("model").GetString());
        Assert.Equal(1, card.GetProperty("version").GetInt32());
        Assert.Equal("classifier", card.GetProperty("kind").GetString());
        Assert.Equal("tiny-linear", card.GetProperty("architecture").GetString());
        Assert.Equal(784 * 10 + 10, card.GetProperty("parameters").GetInt64());
        Assert.Equal(3, card.GetProperty("training").GetProperty("epochs").GetInt32());
        Assert.False(card.GetProperty("training").TryGetProperty("data", out _));
        Assert.Equal(10, card.GetProperty("metrics").GetProperty("perClass").GetArrayLength());
        Assert.InRange(card.GetProperty("metrics").GetProperty("accuracy").GetDouble(), 0.8, 0.9);
        Assert.Contains(card.GetProperty("missing").EnumerateArray(), m => m.GetString()!.Contains("predictions.json", StringComparison.Ordinal));
        var images = card.GetProperty("images");
        Assert.Equal(["confusion", "curves"], images.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var image in images.EnumerateObject())
        {
            using var png = await client.GetAsync(image.Value.GetString());
            Assert.Equal(HttpStatusCode.OK, png.StatusCode);
            Assert.Equal("image/png", png.Content.Headers.ContentType?.MediaType);
            using var bitmap = SKBitmap.Decode(await png.Content.ReadAsByteArrayAsync());
            Assert.True(bitmap is { Width: >= 600, Height: >= 350 }, $"{image.Name}: {bitmap?.Width}x{bitmap?.Height}");
        }

        foreach (string missing in new[] { "mistakes.png", "manifest.json", "model.onnx", "card.json" })
        {
            using var notThere = await client.GetAsync($"/api/models/{name}/versions/1/card/{missing}");
            Assert.Equal(HttpStatusCode.NotFound, notThere.StatusCode);
            Assert.Contains("no image", (await ReadJsonAsync(notThere)).GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task Card_Generator_HasItsSamplesAndQuality(string host)
    {
        var client = await fixture.ClientAsync(host);
        var random = new Random(5);
        float[] images = Enumerable.Range(0, 16 * 784).Select(_ => random.NextSingle()).ToArray();
        File.WriteAllBytes(Path.Combine(_run, "samples.png"), ImageGrid.ToPng(images, 16, 1, 28, 28));
        var quality = new GenerationQuality("cnn", 128, 0.8, 500, 500, 40.5, 2.5, 300.25, 0.7, new Dictionary<string, double> { ["zero"] = 1 }, 0.9);
        LeptonJson.WriteFile(Path.Combine(_run, "metrics.json"), new GeneratorMetrics("dcgan", ModelKind.Generator, 4, [1, 28, 28], TinyModels.Labels, null, 100,
            quality, new ParityReport(256, 0, 0), 1, 100));
        string name = await PublishAsync("gen-card", TinyModels.Generator());

        var card = await ReadJsonAsync(await client.GetAsync($"/api/models/{name}/versions/1/card"));
        using var samples = await client.GetAsync(card.GetProperty("images").GetProperty("samples").GetString());

        Assert.Equal("generator", card.GetProperty("kind").GetString());
        Assert.Equal(["samples"], card.GetProperty("images").EnumerateObject().Select(p => p.Name));
        Assert.False(card.TryGetProperty("metrics", out _));
        var q = card.GetProperty("quality");
        Assert.Equal(40.5, q.GetProperty("frechetDistance").GetDouble());
        Assert.Equal(2.5, q.GetProperty("frechetFloor").GetDouble());
        Assert.Equal(300.25, q.GetProperty("frechetCeiling").GetDouble());
        Assert.Equal(0.7, q.GetProperty("meanConfidence").GetDouble());
        Assert.Equal(HttpStatusCode.OK, samples.StatusCode);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_run, "samples.png")), await samples.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task Card_NoCardOrBadRequest_IsItsClientError(string host)
    {
        var client = await fixture.ClientAsync(host);
        foreach (var (path, status, expected) in new[]
        {
            ($"/api/models/{fixture.Model}/versions/1/card", 404, "no model card"),
            ($"/api/models/{fixture.Model}/versions/99/card", 404, "no version 99"),
            ($"/api/models/{fixture.Model}/versions/abc/card", 400, "positive whole number"),
            ($"/api/models/{fixture.Model}/versions/0/card/curves.png", 400, "positive whole number"),
            ("/api/models/Bad_Name/versions/1/card", 400, "invalid model name"),
            ($"/api/models/{fixture.Model}/versions/1/card/curves.png", 404, "no model card"),
        })
        {
            using var response = await client.GetAsync(path);
            Assert.True((int)response.StatusCode == status, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            Assert.Contains(expected, (await ReadJsonAsync(response)).GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task Explain_ModelReadingOneCorner_HeatmapLightsTheCorner(string host)
    {
        var client = await fixture.ClientAsync(host);
        string name = await PublishAsync("corner", TinyModels.Corner());
        byte[] png = ImageFiles.Encode(TinyModels.CornerImage(), 28, 28);
        HttpContent Body()
        {
            var content = new ByteArrayContent(png);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            return content;
        }

        using var response = await client.PostAsync($"/api/models/{name}/explain", Body());
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("zero", json.GetProperty("label").GetString());
        Assert.Equal(0, json.GetProperty("index").GetInt32());
        Assert.True(json.GetProperty("probability").GetDouble() > 0.9);
        Assert.Equal(3, json.GetProperty("top").GetArrayLength());
        Assert.Equal(4, json.GetProperty("patch").GetInt32());
        Assert.Equal(2, json.GetProperty("stride").GetInt32());
        var rows = json.GetProperty("heatmap").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        Assert.Equal(28, rows.Length);
        Assert.All(rows, r => Assert.Equal(28, r.Length));
        var inside = Enumerable.Range(0, 28 * 28).Where(i => TinyModels.InCorner(i / 28, i % 28)).Select(i => rows[i / 28][i % 28]).ToArray();
        var outside = Enumerable.Range(0, 28 * 28).Where(i => !TinyModels.InCorner(i / 28, i % 28)).Select(i => rows[i / 28][i % 28]).ToArray();
        Assert.True(inside.Average() > 20 * outside.Average(), $"mean inside {inside.Average():F4}, outside {outside.Average():F4}");

        using var pngRequest = new HttpRequestMessage(HttpMethod.Post, $"/api/models/{name}/explain?patch=3&stride=1") { Content = Body() };
        pngRequest.Headers.Accept.ParseAdd("image/png");
        using var overlay = await client.SendAsync(pngRequest);
        Assert.Equal(HttpStatusCode.OK, overlay.StatusCode);
        Assert.Equal("image/png", overlay.Content.Headers.ContentType?.MediaType);
        using var bitmap = SKBitmap.Decode(await overlay.Content.ReadAsByteArrayAsync());
        Assert.Equal(224, bitmap.Width);

        string generator = await PublishAsync("gen", TinyModels.Generator());
        foreach (var (path, status, expected) in new[]
        {
            ($"/api/models/{name}/explain?patch=15", 400, "patch must be between 1 and 14"),
            ($"/api/models/{name}/explain?patch=4&stride=5", 400, "stride must be between 1 and the patch"),
            ($"/api/models/{name}/explain?stride=x", 400, "whole number"),
            ($"/api/models/{name}/explain?version=7", 404, "no version 7"),
            ($"/api/models/{generator}/explain", 400, "is a generator"),
        })
        {
            using var refused = await client.PostAsync(path, Body());
            Assert.True((int)refused.StatusCode == status, $"{path}: {(int)refused.StatusCode} {await refused.Content.ReadAsStringAsync()}");
            Assert.Contains(expected, (await ReadJsonAsync(refused)).GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task OpenApi_DescribesCardAndExplain_WithThePatchBounds(string host)
    {
        var client = await fixture.ClientAsync(host);
        var paths = (await ReadJsonAsync(await client.GetAsync("/openapi.json"))).GetProperty("paths");

        Assert.True(paths.TryGetProperty("/api/models/{name}/versions/{version}/card", out _));
        Assert.True(paths.TryGetProperty("/api/models/{name}/versions/{version}/card/{image}", out _));
        var parameters = paths.GetProperty("/api/models/{name}/explain").GetProperty("post").GetProperty("parameters").EnumerateArray()
            .Where(p => p.TryGetProperty("name", out _)).ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("schema"));
        Assert.Equal(Occlusion.MaxPatch, parameters["patch"].GetProperty("maximum").GetInt32());
        Assert.Equal(Occlusion.DefaultPatch, parameters["patch"].GetProperty("default").GetInt32());
        Assert.Equal(Occlusion.DefaultStride, parameters["stride"].GetProperty("default").GetInt32());
    }
}
