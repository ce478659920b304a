using System.Text;
using System.Text.Json;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Http;
using Lepton.Inference.Runtime;
using Lepton.Tests;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lepton.Functions.Tests;

/// <summary>The function bodies over a real registry (folder store) and real ONNX Runtime sessions.</summary>
public sealed class InferenceFunctionsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lepton-functions-").FullName;
    private readonly ModelRegistry _registry;
    private readonly ModelRuntime _runtime;
    private readonly InferenceFunctions _functions;

    public InferenceFunctionsTests()
    {
        _registry = new ModelRegistry(new FolderArtifactStore(_root));
        _runtime = new ModelRuntime(_registry, new InferenceOptions());
        var api = new InferenceApi(_runtime, NullLogger<InferenceApi>.Instance);
        _functions = new InferenceFunctions(api, new GenerateApi(_runtime, NullLogger<GenerateApi>.Instance),
            new CardApi(_runtime, NullLogger<CardApi>.Instance), new ExplainApi(_runtime, api, NullLogger<ExplainApi>.Instance));
    }

    public void Dispose()
    {
        _runtime.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private static HttpRequest Request(string method, string? json = null, string query = "")
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.QueryString = new QueryString(query);
        context.Response.Body = new MemoryStream();
        if (json is not null)
        {
            context.Request.ContentType = "application/json";
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(json));
        }

        return context.Request;
    }

    private static JsonElement Body(HttpRequest request)
    {
        request.HttpContext.Response.Body.Position = 0;
        return JsonDocument.Parse(request.HttpContext.Response.Body).RootElement.Clone();
    }

    [Fact]
    public async Task Predict_WritesThePrediction()
    {
        byte[] model = TinyModels.Linear();
        await _registry.PublishAsync("tiny", new MemoryStream(model), ModelInspector.Describe(model));
        var request = Request("POST", $$"""{"instances":[[{{string.Join(',', TinyModels.ImageFor(9))}}]]}""");

        var result = await _functions.PredictAsync(request, "tiny");

        Assert.IsType<EmptyResult>(result);
        Assert.Equal(200, request.HttpContext.Response.StatusCode);
        Assert.Equal("nine", Body(request).GetProperty("predictions")[0].GetProperty("label").GetString());
    }

    [Fact]
    public async Task SetAlias_ThenModelMetadata()
    {
        byte[] model = TinyModels.Linear();
        await _registry.PublishAsync("tiny", new MemoryStream(model), ModelInspector.Describe(model));
        var put = Request("PUT", """{"version": 1}""");
        var get = Request("GET");

        await _functions.SetAliasAsync(put, "tiny", "production");
        await _functions.ModelMetadataDefaultAsync(get, "tiny");

        Assert.Equal(200, put.HttpContext.Response.StatusCode);
        Assert.Equal(1, (await _registry.GetAliasesAsync("tiny")).Aliases["production"]);
        Assert.Equal("onnxruntime_onnx", Body(get).GetProperty("platform").GetString());
    }

    [Fact]
    public async Task UnknownModel_Is404WithError()
    {
        var request = Request("POST", "{}");

        await _functions.InferDefaultAsync(request, "missing");

        Assert.Equal(404, request.HttpContext.Response.StatusCode);
        Assert.Contains("not found", Body(request).GetProperty("error").GetString(), StringComparison.Ordinal);
    }
}
