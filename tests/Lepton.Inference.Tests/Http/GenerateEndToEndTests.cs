using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Lepton.Tests;
using SkiaSharp;

namespace Lepton.Inference.Tests.Http;

/// <summary>One server process over a folder registry with a tiny generator and a tiny classifier.</summary>
public sealed class GeneratorServer : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("lepton-generate-").FullName;

    public ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var registry = new ModelRegistry(new FolderArtifactStore(_root));
        foreach (var (name, bytes) in new[] { ("shapes", TinyModels.Generator()), ("digits", TinyModels.Linear()) })
        {
            await registry.PublishAsync(name, new MemoryStream(bytes), ModelInspector.Describe(bytes));
        }

        Server = await ServerProcess.StartAsync(_root);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }
}

public sealed class GenerateEndToEndTests(GeneratorServer fixture) : IClassFixture<GeneratorServer>
{
    private HttpClient Client => fixture.Server.Client;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<HttpResponseMessage> GenerateAsync(string model, string body, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/models/{model}/generate") { Content = Json(body) };
        if (accept is not null)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        return await Client.SendAsync(request);
    }

    [Fact]
    public async Task Generate_Default_IsAPngGrid()
    {
        using var response = await GenerateAsync("shapes", """{"count": 9, "seed": 1}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        using var bitmap = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((3 * (28 + 2)) + 2, bitmap.Width);
        Assert.Equal((3 * (28 + 2)) + 2, bitmap.Height);
    }

    [Fact]
    public async Task Generate_Json_GivesTheImages_SameSeedSameImages()
    {
        using var first = await GenerateAsync("shapes", """{"count": 4, "seed": 7}""", "application/json");
        using var second = await GenerateAsync("shapes", """{"count": 4, "seed": 7}""", "application/json");
        var a = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        var b = JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal([4, 1, 28, 28], a.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(4, a.GetProperty("images").GetArrayLength());
        Assert.All(a.GetProperty("images").EnumerateArray(), image => Assert.Equal(784, image.GetArrayLength()));
        Assert.Equal(a.GetProperty("images").GetRawText(), b.GetProperty("images").GetRawText());
    }

    [Fact]
    public async Task Generate_ExplicitLatents_AreUsed()
    {
        using var response = await GenerateAsync("shapes", """{"latents": [[0, 0, 0, 0]]}""", "application/json");
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.All(json.GetProperty("images")[0].EnumerateArray(), v => Assert.Equal(0.5, v.GetDouble(), 6));
    }

    [Theory]
    [InlineData("shapes", """{"count": 65}""", "between 1 and 64")]
    [InlineData("shapes", """{"count": 0}""", "between 1 and 64")]
    [InlineData("shapes", """{"latents": [[1, 2]]}""", "array of 4 numbers")]
    [InlineData("digits", """{"count": 2}""", "is a classifier")]
    public async Task Generate_BadRequests_Are400WithTheReason(string model, string body, string message)
    {
        using var response = await GenerateAsync(model, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(message, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_OnAGenerator_Is400SayingItIsAGenerator()
    {
        string instance = "[" + string.Join(',', new float[784]) + "]";
        using var response = await Client.PostAsync("/api/models/shapes/predict", Json($$"""{"instances":[{{instance}}]}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("is a generator", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_OnAGenerator_TakesTheLatentInput()
    {
        using var response = await Client.PostAsync("/v2/models/shapes/infer",
            Json("""{"inputs":[{"name":"latent","shape":[2,4],"datatype":"FP32","data":[0,0,0,0,1,1,1,1]}]}"""));
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.True(response.StatusCode == HttpStatusCode.OK, json.GetRawText());
        var output = json.GetProperty("outputs")[0];
        Assert.Equal("image", output.GetProperty("name").GetString());
        Assert.Equal([2, 1, 28, 28], output.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
    }
}
