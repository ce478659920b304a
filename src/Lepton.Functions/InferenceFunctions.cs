using Lepton.Inference.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Lepton.Functions;

/// <summary>
/// HTTP triggers over the host-neutral <see cref="InferenceApi"/>: each function passes the request and
/// its route values on; the handler writes the response. Names and routes come from <see cref="ApiRoutes"/>;
/// its admin routes (the alias route) take a function key (AuthorizationLevel.Function).
/// </summary>
public sealed class InferenceFunctions(InferenceApi api, GenerateApi generate, CardApi cards, ExplainApi explain)
{
    private static readonly EmptyResult Written = new();

    [Function(nameof(ApiRoutes.Predict))]
    public async Task<IActionResult> PredictAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApiRoutes.Predict)] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.PredictAsync(request.HttpContext, name).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.Generate))]
    public async Task<IActionResult> GenerateAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApiRoutes.Generate)] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await generate.GenerateAsync(request.HttpContext, name).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.Explain))]
    public async Task<IActionResult> ExplainAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApiRoutes.Explain)] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await explain.ExplainAsync(request.HttpContext, name).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.ModelCard))]
    public async Task<IActionResult> ModelCardAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ModelCard)] HttpRequest request, string name, string version)
    {
        ArgumentNullException.ThrowIfNull(request);
        await cards.GetCardAsync(request.HttpContext, name, version).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.ModelCardImage))]
    public async Task<IActionResult> ModelCardImageAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ModelCardImage)] HttpRequest request, string name, string version, string image)
    {
        ArgumentNullException.ThrowIfNull(request);
        await cards.GetImageAsync(request.HttpContext, name, version, image).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.ListModels))]
    public async Task<IActionResult> ListModelsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ListModels)] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.ListModelsAsync(request.HttpContext).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.GetModel))]
    public async Task<IActionResult> GetModelAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.GetModel)] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.GetModelAsync(request.HttpContext, name).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.SetAlias))]
    public async Task<IActionResult> SetAliasAsync(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = ApiRoutes.SetAlias)] HttpRequest request, string name, string alias)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.SetAliasAsync(request.HttpContext, name, alias).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.ServerLive))]
    public static async Task<IActionResult> LiveAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ServerLive)] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await InferenceApi.LiveAsync(request.HttpContext).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.ServerReady))]
    public async Task<IActionResult> ReadyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ServerReady)] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.ReadyAsync(request.HttpContext).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.ServerMetadata))]
    public static async Task<IActionResult> ServerMetadataAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ServerMetadata)] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await InferenceApi.ServerMetadataAsync(request.HttpContext).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.ModelMetadata))]
    public async Task<IActionResult> ModelMetadataAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ModelMetadata)] HttpRequest request, string name, string version)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.ModelMetadataAsync(request.HttpContext, name, version).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.ModelMetadataDefault))]
    public async Task<IActionResult> ModelMetadataDefaultAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ModelMetadataDefault)] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.ModelMetadataAsync(request.HttpContext, name, null).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.ModelReady))]
    public async Task<IActionResult> ModelReadyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ModelReady)] HttpRequest request, string name, string version)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.ModelReadyAsync(request.HttpContext, name, version).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.ModelReadyDefault))]
    public async Task<IActionResult> ModelReadyDefaultAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ModelReadyDefault)] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.ModelReadyAsync(request.HttpContext, name, null).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.ModelInfer))]
    public async Task<IActionResult> InferAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApiRoutes.ModelInfer)] HttpRequest request, string name, string version)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.InferAsync(request.HttpContext, name, version).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.ModelInferDefault))]
    public async Task<IActionResult> InferDefaultAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApiRoutes.ModelInferDefault)] HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        await api.InferAsync(request.HttpContext, name, null).ConfigureAwait(false);
        return Written;
    }

    [Function(nameof(ApiRoutes.OpenApi))]
    public static async Task<IActionResult> OpenApiAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.OpenApi)] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        await OpenApiDocument.WriteAsync(request.HttpContext, ApiHost.Functions).ConfigureAwait(false);
        return Written;
    }
}
