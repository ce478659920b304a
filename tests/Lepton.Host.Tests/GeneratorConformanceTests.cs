using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lepton.Inference.Runtime;
using Lepton.Tests;
using SkiaSharp;

namespace Lepton.Host.Tests;

/// <summary>
/// The generator routes on both hosts (<c>lepton serve</c> and the Functions app under the Functions host):
/// <c>generate</c> as PNG and JSON, OIP v2 with the <c>latent</c> input and its metadata, and the
/// wrong-kind requests answered 400 with what the model is.
/// </summary>
[Collection(HostsCollection.Name)]
public sealed class GeneratorConformanceTests(HostsFixture fixture)
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly Dictionary<HostsFixture, string> Published = [];

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The tiny generator (latent [N,4] -> image [N,1,28,28]), published once into the hosts' registry.</summary>
    private async Task<string> GeneratorAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (!Published.TryGetValue(fixture, out string? name))
            {
                name = "gen-" + Guid.NewGuid().ToString("N")[..8];
                byte[] bytes = TinyModels.Generator();
                await fixture.Registry.PublishAsync(name, new MemoryStream(bytes), ModelInspector.Describe(bytes));
                Published[fixture] = name;
            }

            return name;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<HttpResponseMessage> GenerateAsync(HttpClient client, string model, string body, string? accept = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/models/{model}/generate") { Content = Json(body) };
        if (accept is not null)
        {
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        }

        return await client.SendAsync(request);
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task Generate_Png_IsAGridOfTheRequestedCount(string host)
    {
        var client = await fixture.ClientAsync(host);
        string model = await GeneratorAsync();

        using var response = await GenerateAsync(client, model, """{"count": 4, "seed": 3}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/png", response.Content.Headers.ContentType?.MediaType);
        using var bitmap = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((2 * (28 + 2)) + 2, bitmap.Width); // 4 images: a 2x2 grid with 2-pixel gutters
        Assert.Equal(bitmap.Width, bitmap.Height);
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task Generate_Json_SameSeedSameImages_InRange(string host)
    {
        var client = await fixture.ClientAsync(host);
        string model = await GeneratorAsync();

        using var first = await GenerateAsync(client, model, """{"count": 3, "seed": 11}""", "application/json");
        using var second = await GenerateAsync(client, model, """{"count": 3, "seed": 11}""", "application/json");
        var a = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement;
        var b = JsonDocument.Parse(await second.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal([3, 1, 28, 28], a.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.All(a.GetProperty("images").EnumerateArray(), image =>
        {
            Assert.Equal(784, image.GetArrayLength());
            Assert.All(image.EnumerateArray(), v => Assert.InRange(v.GetDouble(), 0.0, 1.0));
        });
        Assert.Equal(a.GetProperty("images").GetRawText(), b.GetProperty("images").GetRawText());
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task V2_InferTakesTheLatent_AndTheMetadataListsOnlyTheImage(string host)
    {
        var client = await fixture.ClientAsync(host);
        string model = await GeneratorAsync();

        using var response = await client.PostAsync($"/v2/models/{model}/infer",
            Json("""{"inputs":[{"name":"latent","shape":[2,4],"datatype":"FP32","data":[0,0,0,0,1,1,1,1]}]}"""));
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var metadata = JsonDocument.Parse(await client.GetStringAsync($"/v2/models/{model}")).RootElement;

        Assert.True(response.StatusCode == HttpStatusCode.OK, json.GetRawText());
        var output = Assert.Single(json.GetProperty("outputs").EnumerateArray());
        Assert.Equal("image", output.GetProperty("name").GetString());
        Assert.Equal([2, 1, 28, 28], output.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        Assert.Equal(["latent"], metadata.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        Assert.Equal(["image"], metadata.GetProperty("outputs").EnumerateArray().Select(o => o.GetProperty("name").GetString()));
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task WrongKind_And_OverTheLimit_Are400WithTheReason(string host)
    {
        var client = await fixture.ClientAsync(host);
        string model = await GeneratorAsync();
        string instance = "[" + string.Join(',', new float[784]) + "]";

        using var predictOnGenerator = await client.PostAsync($"/api/models/{model}/predict", Json($$"""{"instances":[{{instance}}]}"""));
        using var generateOnClassifier = await GenerateAsync(client, fixture.Model, """{"count": 2}""");
        using var tooMany = await GenerateAsync(client, model, """{"count": 65}""");

        Assert.Equal(HttpStatusCode.BadRequest, predictOnGenerator.StatusCode);
        Assert.Contains("is a generator", await predictOnGenerator.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, generateOnClassifier.StatusCode);
        Assert.Contains("is a classifier", await generateOnClassifier.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("between 1 and 64", JsonDocument.Parse(await tooMany.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
