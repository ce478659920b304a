using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lepton.Core.Registry;
using Lepton.Inference.Http;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Host.Tests;

/// <summary>
/// One conformance suite for the HTTP API, run against both hosts: <c>lepton serve</c> and the Functions
/// app under the Functions host. Every route of the README's table, and every malformed request answered
/// with its 4xx and <c>{"error"}</c>.
/// </summary>
[Collection(HostsCollection.Name)]
public sealed class ServingConformanceTests(HostsFixture fixture)
{
    private string Model => fixture.Model;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string InferBody(float[] pixels, int count = 1, string datatype = "FP32", string name = "pixels", string? outputs = null, string? id = null) =>
        $$"""{{{(id is null ? "" : $"\"id\":\"{id}\",")}}"inputs":[{"name":"{{name}}","shape":[{{count}},1,28,28],"datatype":"{{datatype}}","data":[{{string.Join(',', pixels.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)))}}]}]{{(outputs is null ? "" : $",\"outputs\":[{outputs}]")}}}""";

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task Predict_Png_GivesTheLabel(string host)
    {
        var client = await fixture.ClientAsync(host);
        using var content = new ByteArrayContent(ImageFiles.AsPhoto(TinyModels.ImageFor(7)));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");

        using var response = await client.PostAsync($"/api/models/{Model}/predict?version=1", content);
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var prediction = json.GetProperty("predictions")[0];
        Assert.Equal("seven", prediction.GetProperty("label").GetString());
        Assert.Equal(7, prediction.GetProperty("class").GetInt32());
        Assert.Equal(3, prediction.GetProperty("top").GetArrayLength());
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task Predict_JsonInstances_FlatAndNested(string host)
    {
        var client = await fixture.ClientAsync(host);
        string flat = "[" + string.Join(',', TinyModels.ImageFor(2)) + "]";
        var image = TinyModels.ImageFor(5);
        string nested = "[[" + string.Join(',', Enumerable.Range(0, 28).Select(r => "[" + string.Join(',', image.Skip(r * 28).Take(28)) + "]")) + "]]";

        using var response = await client.PostAsync($"/api/models/{Model}/predict?version=1&top=1", Json($$"""{"instances":[{{flat}},{{nested}}]}"""));
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([2, 5], json.GetProperty("predictions").EnumerateArray().Select(p => p.GetProperty("class").GetInt32()));
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task V2_HealthAndServerMetadata(string host)
    {
        var client = await fixture.ClientAsync(host);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/health/ready")).StatusCode);
        var server = await ReadJsonAsync(await client.GetAsync("/v2"));
        Assert.Equal("lepton", server.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.Array, server.GetProperty("extensions").ValueKind);
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task V2_ModelMetadata_AndReadiness(string host)
    {
        var client = await fixture.ClientAsync(host);
        var metadata = await ReadJsonAsync(await client.GetAsync($"/v2/models/{Model}"));
        var versioned = await ReadJsonAsync(await client.GetAsync($"/v2/models/{Model}/versions/2"));

        Assert.Equal("onnxruntime_onnx", metadata.GetProperty("platform").GetString());
        Assert.Equal(["1", "2"], metadata.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        var input = metadata.GetProperty("inputs")[0];
        Assert.Equal("pixels", input.GetProperty("name").GetString());
        Assert.Equal("FP32", input.GetProperty("datatype").GetString());
        Assert.Equal([-1L, 1, 28, 28], input.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal("logits", metadata.GetProperty("outputs")[0].GetProperty("name").GetString());
        Assert.Equal(Model, versioned.GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v2/models/{Model}/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v2/models/{Model}/versions/2/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/v2/models/{Model}/versions/9/ready")).StatusCode);
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task V2_Infer_Fp32AndUint8_EchoesIdAndRequestedOutputs(string host)
    {
        var client = await fixture.ClientAsync(host);
        using var fp32 = await client.PostAsync($"/v2/models/{Model}/versions/1/infer", Json(InferBody(TinyModels.ImageFor(4), id: "req-1")));
        var uint8Pixels = TinyModels.ImageFor(6).Select(v => v * 255f).ToArray();
        using var uint8 = await client.PostAsync($"/v2/models/{Model}/versions/1/infer",
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

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task V2_Infer_BatchOfTwo(string host)
    {
        var client = await fixture.ClientAsync(host);
        var pixels = TinyModels.ImageFor(1).Concat(TinyModels.ImageFor(8)).ToArray();

        var json = await ReadJsonAsync(await client.PostAsync($"/v2/models/{Model}/versions/1/infer", Json(InferBody(pixels, count: 2))));

        var data = json.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(d => d.GetSingle()).ToArray();
        Assert.Equal(20, data.Length);
        Assert.Equal(1, Array.IndexOf(data[..10], data[..10].Max()));
        Assert.Equal(8, Array.IndexOf(data[10..], data[10..].Max()));
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task V2_Infer_NestedData_AsTheShapeSays(string host)
    {
        var client = await fixture.ClientAsync(host);
        var image = TinyModels.ImageFor(9);
        string rows = string.Join(',', Enumerable.Range(0, 28).Select(r => "[" + string.Join(',', image.Skip(r * 28).Take(28)) + "]"));
        string body = $$"""{"inputs":[{"name":"pixels","shape":[1,1,28,28],"datatype":"FP32","data":[[[{{rows}}]]]}]}""";

        using var response = await client.PostAsync($"/v2/models/{Model}/versions/1/infer", Json(body));
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = json.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(d => d.GetSingle()).ToArray();
        Assert.Equal(9, Array.IndexOf(data, data.Max()));
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task AliasPromotion_IsPickedUpWithoutRestart(string host)
    {
        var client = await fixture.ClientAsync(host);
        string model = "promo-" + Guid.NewGuid().ToString("N")[..8];
        foreach (int shift in new[] { 0, 1 })
        {
            byte[] bytes = TinyModels.Linear(shift);
            await fixture.Registry.PublishAsync(model, new MemoryStream(bytes), ModelInspector.Describe(bytes));
        }

        await fixture.Registry.SetAliasAsync(model, "production", 1);
        async Task<int> ServedVersionAsync()
        {
            var json = await ReadJsonAsync(await client.PostAsync($"/api/models/{model}/predict", Json($$"""{"instances":[[{{string.Join(',', TinyModels.ImageFor(0))}}]]}""")));
            return json.GetProperty("version").GetInt32();
        }

        Assert.Equal(1, await ServedVersionAsync());
        using var promote = await SendAsync(host, HttpMethod.Put, $"/api/models/{model}/aliases/production", Json("""{"version": 2}"""));
        Assert.Equal(HttpStatusCode.OK, promote.StatusCode);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        int served;
        while ((served = await ServedVersionAsync()) != 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(2, served);
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task TamperedModel_IsRefusedWithTheReason(string host)
    {
        var client = await fixture.ClientAsync(host);
        string model = "tamper-" + Guid.NewGuid().ToString("N")[..8];
        byte[] bytes = TinyModels.Linear();
        await fixture.Registry.PublishAsync(model, new MemoryStream(bytes), ModelInspector.Describe(bytes));
        await fixture.Registry.Store.WriteAsync(ModelRegistry.ModelPath(model, 1), new MemoryStream(TinyModels.Linear(shift: 3)));

        using var response = await client.PostAsync($"/v2/models/{model}/infer", Json(InferBody(TinyModels.ImageFor(0))));
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("SHA-256", json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task Models_ListAndShow(string host)
    {
        var client = await fixture.ClientAsync(host);
        var list = await ReadJsonAsync(await client.GetAsync("/api/models"));
        var show = await ReadJsonAsync(await client.GetAsync($"/api/models/{Model}"));

        Assert.Contains(list.GetProperty("models").EnumerateArray(), m => m.GetProperty("name").GetString() == Model);
        Assert.Equal(2, show.GetProperty("versions").GetArrayLength());
        Assert.Equal(64, show.GetProperty("versions")[0].GetProperty("sha256").GetString()!.Length);
        Assert.Equal(1, show.GetProperty("aliases").GetProperty("production").GetInt32());
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task OpenApi_DescribesEveryRoute(string host)
    {
        var client = await fixture.ClientAsync(host);
        var doc = await ReadJsonAsync(await client.GetAsync("/openapi.json"));

        Assert.Equal("3.0.3", doc.GetProperty("openapi").GetString());
        var operations = doc.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => (Method: o.Name.ToUpperInvariant(), Path: p.Name)));
        var routes = ApiRoutes.On(host == Hosts.Functions ? ApiHost.Functions : ApiHost.Serve);
        Assert.Equal(routes.Select(r => (r.Method, r.Path)).Order(), operations.Order());
        Assert.Contains(operations, o => o.Path == "/api/models/{name}/predict");
        Assert.Contains(operations, o => o.Path == "/v2/models/{name}/versions/{version}/infer");
        Assert.Equal(host == Hosts.Functions, operations.Contains(("POST", "/api/pipelines")));
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task RouteTable_ItsGetRoutesWithoutParameters_AnswerOnTheirHostsOnly(string host)
    {
        var client = await fixture.ClientAsync(host);
        var here = host == Hosts.Functions ? ApiHost.Functions : ApiHost.Serve;

        foreach (var route in ApiRoutes.All.Where(r => r.Method == "GET" && !r.Path.Contains('{', StringComparison.Ordinal)))
        {
            using var response = await client.GetAsync(route.Path);
            if (route.IsServedBy(here))
            {
                Assert.True(response.StatusCode != HttpStatusCode.NotFound, $"{route.Path} is not served on {host}");
            }
            else
            {
                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{route.Path} is served on {host}: {response.StatusCode}");
            }
        }

        using var console = await client.GetAsync("/");
        Assert.Equal("text/html", console.Content.Headers.ContentType?.MediaType);
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

    /// <summary>
    /// A request as a client of this host sends it: admin routes carry the function key under the
    /// Functions host (it enforces keys as Azure does); <c>lepton serve</c> trusts local clients.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(string host, HttpMethod method, string path, HttpContent? content = null)
    {
        var client = await fixture.ClientAsync(host);
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (host == Hosts.Functions && method == HttpMethod.Put)
        {
            request.Headers.Add("x-functions-key", (await fixture.FunctionsAsync()).FunctionKey);
        }

        return await client.SendAsync(request);
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task MalformedTable_EveryCaseIsItsClientError_AndTheHostSurvives(string host)
    {
        var failures = new List<string>();
        foreach (var row in Malformed())
        {
            var (method, path, contentType, body, status, expected) = ((string)row[0], (string)row[1], (string?)row[2], (string)row[3], (int)row[4], (string)row[5]);
            StringContent? content = null;
            if (contentType is not null)
            {
                content = new StringContent(body, Encoding.UTF8);
                content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            }

            using var response = await SendAsync(host, new HttpMethod(method), path.Replace("{m}", Model, StringComparison.Ordinal), content);
            string text = await response.Content.ReadAsStringAsync();
            string? error = null;
            try
            {
                error = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString();
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // reported below
            }

            if ((int)response.StatusCode != status || error is null || !error.Contains(expected, StringComparison.Ordinal))
            {
                failures.Add($"{method} {path} ({contentType}): expected {status} with '{expected}', got {(int)response.StatusCode} {text}");
            }
        }

        Assert.Empty(failures);
        var client = await fixture.ClientAsync(host);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/health/live")).StatusCode);
        Assert.DoesNotContain("Unhandled", fixture.Output(host), StringComparison.Ordinal);
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task TooLargeBody_Is413(string host)
    {
        var client = await fixture.ClientAsync(host);
        using var response = await client.PostAsync($"/api/models/{Model}/predict?version=1", Json("{\"instances\": [" + new string(' ', HostsFixture.MaxRequestBytes) + "]}"));
        var json = await ReadJsonAsync(response);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("bytes", json.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task HugeBody_Is413_NotAReset(string host)
    {
        // 64 MiB with a Content-Length (no Expect: 100-continue): the handler refuses it from the header,
        // and the connection must carry the answer back (under the Functions host, through its proxy).
        var client = await fixture.ClientAsync(host);
        foreach (string route in new[] { $"/api/models/{Model}/predict", $"/v2/models/{Model}/infer" })
        {
            using var content = new ByteArrayContent(new byte[64 * 1024 * 1024]);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await client.PostAsync(route, content);
            var json = await ReadJsonAsync(response);

            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("at most", json.GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v2/health/live")).StatusCode);
    }

    [Theory]
    [OnServe]
    [OnFunctionsHost]
    public async Task Predict_Jpeg_TopAndVersionOrAlias(string host)
    {
        var client = await fixture.ClientAsync(host);
        byte[] jpeg = ImageFiles.Encode(TinyModels.ImageFor(3), 28, 28, SkiaSharp.SKEncodedImageFormat.Jpeg);

        async Task<JsonElement> PredictAsync(string query)
        {
            using var content = new ByteArrayContent(jpeg);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            using var response = await client.PostAsync($"/api/models/{Model}/predict{query}", content);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await ReadJsonAsync(response);
        }

        var byDefault = await PredictAsync("?top=5");
        var byVersion = await PredictAsync("?version=2");
        var byAlias = await PredictAsync("?alias=production&top=1");

        Assert.Equal(1, byDefault.GetProperty("version").GetInt32());
        Assert.Equal(3, byDefault.GetProperty("predictions")[0].GetProperty("class").GetInt32());
        Assert.Equal(5, byDefault.GetProperty("predictions")[0].GetProperty("top").GetArrayLength());
        Assert.Equal(2, byVersion.GetProperty("version").GetInt32());
        Assert.Equal(1, byAlias.GetProperty("version").GetInt32());
        Assert.Equal(1, byAlias.GetProperty("predictions")[0].GetProperty("top").GetArrayLength());
    }
}
