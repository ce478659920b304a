using Lepton.Inference.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Lepton.Functions;

/// <summary>
/// HTTP triggers over the host-neutral <see cref="InferenceApi"/>: each function passes the request and
/// its route values on; the handler writes the response. The alias route is admin (function key).
/// </summary>
public sealed class InferenceFunctions(InferenceApi api, GenerateApi generate, CardApi cards, ExplainApi explain)
{
    private static readonly EmptyResult Written = new();

    [Function("Predict")]
    public async Task<IActionResult> PredictAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/models/{name}/predict")] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.PredictAsync(request.HttpContext, name).ConfigureAwait(false);
        return Written;
    }

    [Function("Generate")]
    public async Task<IActionResult> GenerateAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/models/{name}/generate")] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await generate.GenerateAsync(request.HttpContext, name).ConfigureAwait(false);
        return Written;
    }

    [Function("Explain")]
    public async Task<IActionResult> ExplainAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "api/models/{name}/explain")] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await explain.ExplainAsync(request.HttpContext, name).ConfigureAwait(false);
        return Written;
    }

    [Function("ModelCard")]
    public async Task<IActionResult> ModelCardAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/models/{name}/versions/{version}/card")] HttpRequest request, string name, string version)
    {
        ArgumentNullException.ThrowIfNull(request);
        await cards.GetCardAsync(request.HttpContext, name, version).ConfigureAwait(false);
        return Written;
    }

    [Function("ModelCardImage")]
    public async Task<IActionResult> ModelCardImageAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/models/{name}/versions/{version}/card/{image}")] HttpRequest request, string name, string version, string image)
    {
        ArgumentNullException.ThrowIfNull(request);
        await cards.GetImageAsync(request.HttpContext, name, version, image).ConfigureAwait(false);
        return Written;
    }

    [Function("ListModels")]
    public async Task<IActionResult> ListModelsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/models")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.ListModelsAsync(request.HttpContext).ConfigureAwait(false);
        return Written;
    }

    [Function("GetModel")]
    public async Task<IActionResult> GetModelAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "api/models/{name}")] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.GetModelAsync(request.HttpContext, name).ConfigureAwait(false);
        return Written;
    }

    [Function("SetAlias")]
    public async Task<IActionResult> SetAliasAsync(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "api/models/{name}/aliases/{alias}")] HttpRequest request, string name, string alias)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.SetAliasAsync(request.HttpContext, name, alias).ConfigureAwait(false);
        return Written;
    }

    [Function("ServerLive")]
    public static async Task<IActionResult> LiveAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v2/health/live")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await InferenceApi.LiveAsync(request.HttpContext).ConfigureAwait(false);
        return Written;
    }

    [Function("ServerReady")]
    public async Task<IActionResult> ReadyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v2/health/ready")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.ReadyAsync(request.HttpContext).ConfigureAwait(false);
        return Written;
    }

    [Function("ServerMetadata")]
    public static async Task<IActionResult> ServerMetadataAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v2")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await InferenceApi.ServerMetadataAsync(request.HttpContext).ConfigureAwait(false);
        return Written;
    }

    [Function("ModelMetadata")]
    public async Task<IActionResult> ModelMetadataAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v2/models/{name}/versions/{version}")] HttpRequest request, string name, string version)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.ModelMetadataAsync(request.HttpContext, name, version).ConfigureAwait(false);
        return Written;
    }

    [Function("ModelMetadataDefault")]
    public async Task<IActionResult> ModelMetadataDefaultAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v2/models/{name}")] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.ModelMetadataAsync(request.HttpContext, name, null).ConfigureAwait(false);
        return Written;
    }

    [Function("ModelReady")]
    public async Task<IActionResult> ModelReadyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v2/models/{name}/versions/{version}/ready")] HttpRequest request, string name, string version)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.ModelReadyAsync(request.HttpContext, name, version).ConfigureAwait(false);
        return Written;
    }

    [Function("ModelReadyDefault")]
    public async Task<IActionResult> ModelReadyDefaultAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "v2/models/{name}/ready")] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.ModelReadyAsync(request.HttpContext, name, null).ConfigureAwait(false);
        return Written;
    }

    [Function("ModelInfer")]
    public async Task<IActionResult> InferAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v2/models/{name}/versions/{version}/infer")] HttpRequest request, string name, string version)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.InferAsync(request.HttpContext, name, version).ConfigureAwait(false);
        return Written;
    }

    [Function("ModelInferDefault")]
    public async Task<IActionResult> InferDefaultAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "v2/models/{name}/infer")] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.InferAsync(request.HttpContext, name, null).ConfigureAwait(false);
        return Written;
    }

    [Function("OpenApi")]
    public static async Task<IActionResult> OpenApiAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "openapi.json")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await OpenApiDocument.WriteAsync(request.HttpContext).ConfigureAwait(false);
        return Written;
    }
}
