using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Inference.Tests.Http;

/// <summary>One server process over Azurite for the whole class: two versions of a tiny model, production = 1.</summary>
public sealed class AzuriteServer : IAsyncLifetime
{
    public const int MaxRequestBytes = 300_000;

    public string Model { get; } = "tiny-" + Guid.NewGuid().ToString("N")[..8];

    public ModelRegistry Registry { get; } = new(TestStores.Azurite());

    public ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        foreach (int shift in new[] { 0, 1 })
        {
            byte[] bytes = TinyModels.Linear(shift);
            await Registry.PublishAsync(Model, new MemoryStream(bytes), ModelInspector.Describe(bytes));
        }

        await Registry.SetAliasAsync(Model, "production", 1);
        Server = await ServerProcess.StartAsync(TestStores.AzuriteConnectionString, new Dictionary<string, string>
        {
            ["Lepton__Inference__AliasCacheDuration"] = "00:00:00.200",
            ["Lepton__Inference__MaxRequestBytes"] = MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class ServerEndToEndTests(AzuriteServer fixture) : IClassFixture<AzuriteServer>
{
    private HttpClient Client => fixture.Server.Client;

    private string Model => fixture.Model;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string InferBody(float[] pixels, int count = 1, string datatype = "FP32", string name = "pixels", string? outputs = null, string? id = null) =>
        $$"""{{{(id is null ? "" : $"\"id\":\"{id}\",")}}"inputs":[{"name":"{{name}}","shape":[{{count}},1,28,28],"datatype":"{{datatype}}","data":[{{string.Join(',', pixels.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)))}}]}]{{(outputs is null ? "" : $",\"outputs\":[{outputs}]")}}}""";

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    [Fact]
    public async Task Predict_Png_GivesTheLabel()
    {
        using var content = new ByteArrayContent(ImageFiles.AsPhoto(TinyModels.ImageFor(7)));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");

        using var response = await Client.PostAsync($"/api/models/{Model}/predict?version=1", content);
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var prediction = json.GetProperty("predictions")[0];
        Assert.Equal("seven", prediction.GetProperty("label").GetString());
        Assert.Equal(7, prediction.GetProperty("class").GetInt32());
        Assert.Equal(3, prediction.GetProperty("top").GetArrayLength());
    }

    [Fact]
    public async Task Predict_JsonInstances_FlatAndNested()
    {
        string flat = "[" + string.Join(',', TinyModels.ImageFor(2)) + "]";
        var image = TinyModels.ImageFor(5);
        string nested = "[[" + string.Join(',', Enumerable.Range(0, 28).Select(r => "[" + string.Join(',', image.Skip(r * 28).Take(28)) + "]")) + "]]";

        using var response = await Client.PostAsync($"/api/models/{Model}/predict?version=1&top=1", Json($$"""{"instances":[{{flat}},{{nested}}]}"""));
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([2, 5], json.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("class").GetInt32()));
    }

    [Fact]
    public async Task V2_HealthAndServerMetadata()
    {
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/v2/health/ready")).StatusCode);
        var server = await ReadJsonAsync(await Client.GetAsync("/v2"));
        Assert.Equal("lepton", server.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Array, server.GetProperty("extensions").ValueKind);
    }

    [Fact]
    public async Task V2_ModelMetadata_AndReadiness()
    {
        var metadata = await ReadJsonAsync(await Client.GetAsync($"/v2/models/{Model}"));
        var versioned = await ReadJsonAsync(await Client.GetAsync($"/v2/models/{Model}/versions/2"));

        Assert.Equal("onnxruntime_onnx", metadata.GetProperty("platform").GetString());
        Assert.Equal(["1", "2"], metadata.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        var input = metadata.GetProperty("inputs")[0];
        Assert.Equal("pixels", input.GetProperty("name").GetString());
        Assert.Equal("FP32", input.GetProperty("datatype").GetString());
        Assert.Equal([-1L, 1, 28, 28], input.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal("logits", metadata.GetProperty("outputs")[0].GetProperty("name").GetString());
        Assert.Equal(Model, versioned.GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/v2/models/{Model}/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync($"/v2/models/{Model}/versions/2/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Client.GetAsync($"/v2/models/{Model}/versions/9/ready")).StatusCode);
    }

    [Fact]
    public async Task V2_Infer_Fp32AndUint8_EchoesIdAndRequestedOutputs()
    {
        using var fp32 = await Client.PostAsync($"/v2/models/{Model}/versions/1/infer", Json(InferBody(TinyModels.ImageFor(4), id: "req-1")));
        var uint8Pixels = TinyModels.ImageFor(6).Select(v => v * 255f).ToArray();
        using var uint8 = await Client.PostAsync($"/v2/models/{Model}/versions/1/infer",
            Json(InferBody(uint8Pixels, datatype: "UINT8", outputs: "{\"name\":\"probabilities\"},{\"name\":\"logits\"}")));
        var a = await ReadJsonAsync(fp32);
        var b = await ReadJsonAsync(uint8);

        Assert.Equal(HttpStatusCode.OK, fp32.StatusCode);
        Assert.Equal("req-1", a.GetProperty("id").GetString());
        Assert.Equal("1", a.GetProperty("model_version").GetString());
        var logits = a.GetProperty("outputs")[0];
        Assert.Equal("logits", logits.GetProperty("name").GetString());
        Assert.Equal([1, 10], logits.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()));
        var values = logits.GetProperty("data").EnumerateArray().Select(d => d.GetSingle()).ToArray();
        Assert.Equal(4, Array.IndexOf(values, values.Max()));

        Assert.Equal(HttpStatusCode.OK, uint8.StatusCode);
        var probabilities = b.GetProperty("outputs")[0];
        Assert.Equal("probabilities", probabilities.GetProperty("name").GetString());
        var p = probabilities.GetProperty("data").EnumerateArray().Select(d => d.GetSingle()).ToArray();
        Assert.Equal(1.0, p.Sum(), 3);
        Assert.Equal(6, Array.IndexOf(p, p.Max()));
        Assert.Equal(2, b.GetProperty("outputs").GetArrayLength());
    }

    [Fact]
    public async Task V2_Infer_BatchOfTwo()
    {
        var pixels = TinyModels.ImageFor(1).Concat(TinyModels.ImageFor(8)).ToArray();

        var json = await ReadJsonAsync(await Client.PostAsync($"/v2/models/{Model}/versions/1/infer", Json(InferBody(pixels, count: 2))));

        var data = json.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(d => d.GetSingle()).ToArray();
        Assert.Equal(20, data.Length);
        Assert.Equal(1, Array.IndexOf(data[..10], data[..10].Max()));
        Assert.Equal(8, Array.IndexOf(data[10..], data[10..].Max()));
    }

    [Fact]
    public async Task AliasPromotion_IsPickedUpWithoutRestart()
    {
        string model = "promo-" + Guid.NewGuid().ToString("N")[..8];
        foreach (int shift in new[] { 0, 1 })
        {
            byte[] bytes = TinyModels.Linear(shift);
            await fixture.Registry.PublishAsync(model, new MemoryStream(bytes), ModelInspector.Describe(bytes));
        }

        await fixture.Registry.SetAliasAsync(model, "production", 1);
        async Task<int> ServedVersionAsync()
        {
            var json = await ReadJsonAsync(await Client.PostAsync($"/api/models/{model}/predict", Json($$"""{"instances":[[{{string.Join(',', TinyModels.ImageFor(0))}}]]}""")));
            return json.GetProperty("version").GetInt32();
        }

        Assert.Equal(1, await ServedVersionAsync());
        using var promote = await Client.PutAsync($"/api/models/{model}/aliases/production", Json("""{"version": 2}"""));
        Assert.Equal(HttpStatusCode.OK, promote.StatusCode);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        int served;
        while ((served = await ServedVersionAsync()) != 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(2, served);
    }

    [Fact]
    public async Task TamperedModel_IsRefusedWithTheReason()
    {
        string model = "tamper-" + Guid.NewGuid().ToString("N")[..8];
        byte[] bytes = TinyModels.Linear();
        await fixture.Registry.PublishAsync(model, new MemoryStream(bytes), ModelInspector.Describe(bytes));
        await fixture.Registry.Store.WriteAsync(ModelRegistry.ModelPath(model, 1), new MemoryStream(TinyModels.Linear(shift: 3)));

        using var response = await Client.PostAsync($"/v2/models/{model}/infer", Json(InferBody(TinyModels.ImageFor(0))));
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("SHA-256", json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_ListAndShow()
    {
        var list = await ReadJsonAsync(await Client.GetAsync("/api/models"));
        var show = await ReadJsonAsync(await Client.GetAsync($"/api/models/{Model}"));

        Assert.Contains(list.GetProperty("models").EnumerateArray(), m => m.GetProperty("name").GetString() == Model);
        Assert.Equal(2, show.GetProperty("versions").GetArrayLength());
        Assert.Equal(64, show.GetProperty("versions")[0].GetProperty("sha256").GetString()!.Length);
        Assert.Equal(1, show.GetProperty("aliases").GetProperty("production").GetInt32());
    }

    [Fact]
    public async Task OpenApi_DescribesEveryRoute()
    {
        var doc = await ReadJsonAsync(await Client.GetAsync("/openapi.json"));

        Assert.Equal("3.0.3", doc.GetProperty("openapi").GetString());
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Contains("/api/models/{name}/predict", paths);
        Assert.Contains("/api/models/{name}/generate", paths);
        Assert.Contains("/v2/models/{name}/versions/{version}/infer", paths);
    }

    public static TheoryData<string, string, string?, string, int, string> Malformed()
    {
        string good = string.Join(',', new float[784].Select(_ => "0"));
        return new()
        {
            { "POST", "/api/models/{m}/predict?version=1", "application/json", "{not json", 400, "malformed JSON" },
            { "POST", "/api/models/{m}/predict?version=1", "application/json", "{\"instances\": []}", 400, "instances" },
            { "POST", "/api/models/{m}/predict?version=1", "application/json", "{\"instances\": [[1,2,3]]}", 400, "expected 784 values" },
            { "POST", "/api/models/{m}/predict?version=1", "application/json", "{\"instances\": [[\"a\"]]}", 400, "not a number" },
            { "POST", "/api/models/{m}/predict?version=1", "text/plain", "hello", 415, "not supported" },
            { "POST", "/api/models/{m}/predict?version=1", "image/png", "not a png", 415, "PNG or JPEG" },
            { "POST", "/api/models/{m}/predict?version=x", "application/json", "{}", 400, "version must be a whole number" },
            { "POST", "/api/models/{m}/predict?version=1&alias=production", "application/json", "{}", 400, "not both" },
            { "POST", "/api/models/{m}/predict?alias=Bad..", "application/json", "{}", 400, "invalid alias" },
            { "POST", "/api/models/{m}/predict?version=1&top=0", "application/json", $"{{\"instances\": [[{good}]]}}", 400, "top must be" },
            { "POST", "/api/models/no-such-model/predict", "application/json", "{}", 404, "not found" },
            { "POST", "/api/models/Bad_Name/predict", "application/json", "{}", 400, "invalid model name" },
            { "POST", "/api/models/{m}/predict?version=9", "application/json", "{}", 404, "no version 9" },
            { "POST", "/api/models/{m}/predict?version=1", "application/json", "", 400, "no body" },
            { "POST", "/v2/models/{m}/infer", "application/json", "{\"inputs\": []}", 400, "exactly one input" },
            { "POST", "/v2/models/{m}/infer", "application/json", $"{{\"inputs\":[{{\"name\":\"x\",\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":[{good}]}}]}}", 400, "unknown input 'x'" },
            { "POST", "/v2/models/{m}/infer", "application/json", $"{{\"inputs\":[{{\"name\":\"pixels\",\"shape\":[1,1,27,28],\"datatype\":\"FP32\",\"data\":[{good}]}}]}}", 400, "does not match" },
            { "POST", "/v2/models/{m}/infer", "application/json", $"{{\"inputs\":[{{\"name\":\"pixels\",\"shape\":[1,1,28,28],\"datatype\":\"INT64\",\"data\":[{good}]}}]}}", 400, "datatype 'INT64'" },
            { "POST", "/v2/models/{m}/infer", "application/json", $"{{\"inputs\":[{{\"name\":\"pixels\",\"shape\":[2,1,28,28],\"datatype\":\"FP32\",\"data\":[{good}]}}]}}", 400, "needs 1568 values" },
            { "POST", "/v2/models/{m}/infer", "application/json", "{\"inputs\":[{\"name\":\"pixels\",\"shape\":[1,1,28,28],\"datatype\":\"UINT8\",\"data\":[300]}]}", 400, "784 values" },
            { "POST", "/v2/models/{m}/infer", "application/json", $"{{\"inputs\":[{{\"name\":\"pixels\",\"shape\":[1,1,28,28],\"datatype\":\"FP32\",\"data\":[{good}]}}],\"outputs\":[{{\"name\":\"embeddings\"}}]}}", 400, "unknown output" },
            { "POST", "/v2/models/{m}/infer", "text/csv", "1,2", 415, "application/json" },
            { "POST", "/v2/models/{m}/versions/0/infer", "application/json", "{}", 400, "positive whole number" },
            { "POST", "/v2/models/{m}/infer", "application/json", "[1,2]", 400, "JSON object" },
            { "GET", "/v2/models/nothing-here", null, "", 404, "not found" },
            { "PUT", "/api/models/{m}/aliases/production", "application/json", "{\"version\": \"two\"}", 400, "positive whole number" },
            { "PUT", "/api/models/{m}/aliases/production", "application/json", "{\"version\": 42}", 404, "no version 42" },
            { "PUT", "/api/models/{m}/aliases/BAD", "application/json", "{\"version\": 1}", 400, "invalid alias" },
        };
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task MalformedRequest_GetsItsClientError(string method, string path, string? contentType, string body, int status, string expected)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{m}", Model, StringComparison.Ordinal));
        if (contentType is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        using var response = await Client.SendAsync(request);
        var json = await ReadJsonAsync(response);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Contains(expected, json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TooLargeBody_Is413()
    {
        using var response = await Client.PostAsync($"/api/models/{Model}/predict?version=1", Json("{\"instances\": [" + new string(' ', AzuriteServer.MaxRequestBytes) + "]}"));
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("bytes", json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerSurvivesTheMalformedTable()
    {
        foreach (var row in Malformed())
        {
            using var request = new HttpRequestMessage(new HttpMethod((string)row[0]), ((string)row[1]).Replace("{m}", Model, StringComparison.Ordinal));
            if (row[2] is string type)
            {
                request.Content = new StringContent((string)row[3], Encoding.UTF8);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(type);
            }

            using var response = await Client.SendAsync(request);
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{row[0]} {row[1]}: {(int)response.StatusCode}");
        }

        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync("/v2/health/live")).StatusCode);
        Assert.DoesNotContain("Unhandled", fixture.Server.Output, StringComparison.Ordinal);
    }
}

public sealed class AdminKeyTests
{
    [Fact]
    public async Task AdminRoute_WithKeySet_NeedsTheKey()
    {
        string model = "admin-" + Guid.NewGuid().ToString("N")[..8];
        var registry = new ModelRegistry(TestStores.Azurite());
        byte[] bytes = TinyModels.Linear();
        await registry.PublishAsync(model, new MemoryStream(bytes), ModelInspector.Describe(bytes));
        await using var server = await ServerProcess.StartAsync(TestStores.AzuriteConnectionString, null, "--admin-key", "s3cret");

        using var without = await server.Client.PutAsync($"/api/models/{model}/aliases/production", new StringContent("{\"version\":1}", Encoding.UTF8, "application/json"));
        using var wrong = new HttpRequestMessage(HttpMethod.Put, $"/api/models/{model}/aliases/production") { Content = new StringContent("{\"version\":1}", Encoding.UTF8, "application/json") };
        wrong.Headers.Add("x-functions-key", "guess");
        using var wrongResponse = await server.Client.SendAsync(wrong);
        using var right = new HttpRequestMessage(HttpMethod.Put, $"/api/models/{model}/aliases/production") { Content = new StringContent("{\"version\":1}", Encoding.UTF8, "application/json") };
        right.Headers.Add("x-functions-key", "s3cret");
        using var rightResponse = await server.Client.SendAsync(right);

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rightResponse.StatusCode);
        Assert.Equal(1, (await registry.GetAliasesAsync(model)).Aliases["production"]);
    }
}
