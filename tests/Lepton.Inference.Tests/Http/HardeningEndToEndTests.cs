using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Lepton.Tests;

namespace Lepton.Inference.Tests.Http;

/// <summary>Issue 9 over a real server: client mistakes are 4xx, never 500, and nothing is logged as a server fault.</summary>
public sealed class HardeningEndToEndTests(AzuriteServer fixture) : IClassFixture<AzuriteServer>
{
    private HttpClient Client => fixture.Server.Client;

    private string Model => fixture.Model;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Values(float value) => string.Join(',', Enumerable.Repeat(value.ToString("R", CultureInfo.InvariantCulture), 784));

    private static string InferBody(string data) =>
        $$"""{"inputs":[{"name":"pixels","shape":[1,1,28,28],"datatype":"FP32","data":[{{data}}]}]}""";

    private static async Task<(HttpStatusCode Status, string Error)> SendAsync(HttpResponseMessage response)
    {
        using (response)
        {
            string body = await response.Content.ReadAsStringAsync();
            string error = body.Length > 0 && body[0] == '{' && JsonDocument.Parse(body).RootElement.TryGetProperty("error", out var e) ? e.GetString()! : body;
            return (response.StatusCode, error);
        }
    }

    [Fact]
    public async Task Infer_Fp32ThatOverflows_Is400()
    {
        string data = "1e39," + string.Join(',', Enumerable.Repeat("0", 783));

        var (status, error) = await SendAsync(await Client.PostAsync($"/v2/models/{Model}/versions/1/infer", Json(InferBody(data))));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("finite", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_PixelBytesReadByTheFastPath_AnswerAsTheGeneralParse()
    {
        // The same pixels three ways: flat whole numbers (read straight from the bytes), the same with a
        // decimal point (the reader's own parse), and flat with a "data" key elsewhere too (parsed as sent).
        int[] pixels = Enumerable.Range(0, 784).Select(i => (i * 37) % 256).ToArray();
        string whole = string.Join(',', pixels);
        string decimals = string.Join(',', pixels.Select(p => p.ToString(CultureInfo.InvariantCulture) + ".0"));
        string Body(string data, string extra = "") =>
            $$"""{"inputs":[{"name":"pixels","shape":[1,1,28,28],"datatype":"UINT8","data":[{{data}}]}]{{extra}}}""";

        async Task<string> LogitsAsync(string body)
        {
            using var response = await Client.PostAsync($"/v2/models/{Model}/versions/1/infer", Json(body));
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK, text);
            return JsonDocument.Parse(text).RootElement.GetProperty("outputs")[0].GetProperty("data").GetRawText();
        }

        string fast = await LogitsAsync(Body(whole));
        Assert.Equal(fast, await LogitsAsync(Body(decimals)));
        Assert.Equal(fast, await LogitsAsync(Body(whole, ""","parameters":{"data":[1]}""")));
        var (status, error) = await SendAsync(await Client.PostAsync($"/v2/models/{Model}/versions/1/infer", Json(Body(whole + ",256"))));
        Assert.Equal(HttpStatusCode.BadRequest, status); // one value too many, and not a byte: the general parse says so
        Assert.Contains("needs 784 values", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predict_HugeFiniteValues_Is400()
    {
        var (status, error) = await SendAsync(await Client.PostAsync($"/api/models/{Model}/predict?version=1", Json($$"""{"instances":[[{{Values(3e38f)}}]]}""")));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("finite", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_HugeFiniteValues_Is400()
    {
        var (status, _) = await SendAsync(await Client.PostAsync($"/v2/models/{Model}/versions/1/infer", Json(InferBody(Values(3e38f)))));

        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task ChunkSizeThatOverflows_Is4xx_AndNotLoggedAsAFault()
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(IPAddress.Loopback, fixture.Server.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /api/models/{Model}/predict?version=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n"));
        var buffer = new byte[4096];
        stream.ReadTimeout = 10_000;
        int read = await stream.ReadAsync(buffer);
        string response = Encoding.ASCII.GetString(buffer, 0, read);

        Assert.StartsWith("HTTP/1.1 4", response, StringComparison.Ordinal);
        await Task.Delay(200);
        Assert.DoesNotContain("OverflowException", fixture.Server.Output, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> Ambiguous() => new()
    {
        { "POST", "/api/models/{m}/predict?version=1", $$"""{"instances":[[{{Values(0)}}]]} trailing""" },
        { "POST", "/api/models/{m}/predict?version=1", $$"""{"instances":[[{{Values(0)}}]]}{}""" },
        { "POST", "/api/models/{m}/predict?version=1", $$"""{"instances":[[{{Values(0)}}]],"instances":[[{{Values(1)}}]]}""" },
        { "POST", "/v2/models/{m}/versions/1/infer", InferBody(Values(0)) + "x" },
        { "POST", "/v2/models/{m}/versions/1/infer", $$"""{"id":"a","id":"b","inputs":[{"name":"pixels","shape":[1,1,28,28],"datatype":"FP32","data":[{{Values(0)}}]}]}""" },
        { "POST", "/v2/models/{m}/versions/1/infer", $$"""{"inputs":[{"name":"pixels","datatype":"UINT8","shape":[1,1,28,28],"datatype":"FP32","data":[{{Values(0)}}]}]}""" },
        { "PUT", "/api/models/{m}/aliases/staging", """{"version": 1} {"version": 2}""" },
        { "PUT", "/api/models/{m}/aliases/staging", """{"version": 1, "version": 2}""" },
    };

    [Theory]
    [MemberData(nameof(Ambiguous))]
    public async Task Json_TrailingGarbageOrDuplicateKeys_Is400(string method, string path, string body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{m}", Model, StringComparison.Ordinal)) { Content = Json(body) };

        var (status, error) = await SendAsync(await Client.SendAsync(request));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Theory]
    [InlineData("/api/models/{m}/aliases/production%0A")]
    [InlineData("/api/models/{m}%0A/aliases/production")]
    public async Task Names_WithATrailingNewline_Are400(string path)
    {
        var (status, error) = await SendAsync(await Client.PutAsync(path.Replace("{m}", Model, StringComparison.Ordinal), Json("""{"version": 1}""")));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("invalid", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("png", 6300, 413)]
    [InlineData("jpeg", 6300, 413)]
    [InlineData("png", 4000, 400)]
    [InlineData("jpeg", 4000, 400)]
    public async Task Predict_DecompressionBomb_IsRefusedQuickly(string format, int side, int expected)
    {
        byte[] bomb = format == "png" ? BombFiles.Png(side, side) : BombFiles.Jpeg(side, side);
        using var content = new ByteArrayContent(bomb);
        content.Headers.ContentType = new MediaTypeHeaderValue($"image/{format}");

        var (status, _) = await SendAsync(await Client.PostAsync($"/api/models/{Model}/predict?version=1", content));

        Assert.Equal(expected, (int)status);
    }

    [Fact]
    public async Task OpenApi_AliasPut_DocumentsBothKeysAnd401And403()
    {
        using var doc = JsonDocument.Parse(await Client.GetStringAsync("/openapi.json"));
        var put = doc.RootElement.GetProperty("paths").GetProperty("/api/models/{name}/aliases/{alias}").GetProperty("put");
        var schemes = doc.RootElement.GetProperty("components").GetProperty("securitySchemes");

        var used = put.GetProperty("security").EnumerateArray().SelectMany(s => s.EnumerateObject().Select(p => p.Name)).ToArray();
        Assert.Contains(used, name => schemes.GetProperty(name).GetProperty("in").GetString() == "query" && schemes.GetProperty(name).GetProperty("name").GetString() == "code");
        Assert.Contains(used, name => schemes.GetProperty(name).GetProperty("in").GetString() == "header");
        Assert.True(put.GetProperty("responses").TryGetProperty("401", out _));
        Assert.True(put.GetProperty("responses").TryGetProperty("403", out _));
        Assert.True(put.GetProperty("responses").TryGetProperty("409", out _));
    }
}

public sealed class JsonFuzzFindingTests(AzuriteServer fixture) : IClassFixture<AzuriteServer>
{
    [Theory]
    [InlineData("/api/models/{m}/predict?version=1")]
    [InlineData("/v2/models/{m}/versions/1/infer")]
    public async Task PropertyNameWithInvalidUtf8_Is400(string path)
    {
        // Found by the fuzz target: GetString() on invalid UTF-8 threw InvalidOperationException (a 500).
        byte[] body = [.. "{\""u8, 0xC3, 0x28, .. "\":1}"u8];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        using var response = await fixture.Server.Client.PostAsync(path.Replace("{m}", fixture.Model, StringComparison.Ordinal), content);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
    }
}
