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
    [Function(nameof(ApiRoutes.Predict))]
    public Task<IActionResult> PredictAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApiRoutes.Predict)] HttpRequest request, string name) =>
        Trampoline.RunAsync(request, c => api.PredictAsync(c, name));

    [Function(nameof(ApiRoutes.Generate))]
    public Task<IActionResult> GenerateAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApiRoutes.Generate)] HttpRequest request, string name) =>
        Trampoline.RunAsync(request, c => generate.GenerateAsync(c, name));

    [Function(nameof(ApiRoutes.Explain))]
    public Task<IActionResult> ExplainAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApiRoutes.Explain)] HttpRequest request, string name) =>
        Trampoline.RunAsync(request, c => explain.ExplainAsync(c, name));

    [Function(nameof(ApiRoutes.ModelCard))]
    public Task<IActionResult> ModelCardAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ModelCard)] HttpRequest request, string name, string version) =>
        Trampoline.RunAsync(request, c => cards.GetCardAsync(c, name, version));

    [Function(nameof(ApiRoutes.ModelCardImage))]
    public Task<IActionResult> ModelCardImageAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ModelCardImage)] HttpRequest request, string name, string version, string image) =>
        Trampoline.RunAsync(request, c => cards.GetImageAsync(c, name, version, image));

    [Function(nameof(ApiRoutes.ListModels))]
    public Task<IActionResult> ListModelsAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ListModels)] HttpRequest request) =>
        Trampoline.RunAsync(request, c => api.ListModelsAsync(c));

    [Function(nameof(ApiRoutes.GetModel))]
    public Task<IActionResult> GetModelAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.GetModel)] HttpRequest request, string name) =>
        Trampoline.RunAsync(request, c => api.GetModelAsync(c, name));

    [Function(nameof(ApiRoutes.SetAlias))]
    public Task<IActionResult> SetAliasAsync(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = ApiRoutes.SetAlias)] HttpRequest request, string name, string alias) =>
        Trampoline.RunAsync(request, c => api.SetAliasAsync(c, name, alias));

    [Function(nameof(ApiRoutes.ServerLive))]
    public static Task<IActionResult> LiveAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ServerLive)] HttpRequest request) =>
        Trampoline.RunAsync(request, c => InferenceApi.LiveAsync(c));

    [Function(nameof(ApiRoutes.ServerReady))]
    public Task<IActionResult> ReadyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ServerReady)] HttpRequest request) =>
        Trampoline.RunAsync(request, c => api.ReadyAsync(c));

    [Function(nameof(ApiRoutes.ServerMetadata))]
    public static Task<IActionResult> ServerMetadataAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ServerMetadata)] HttpRequest request) =>
        Trampoline.RunAsync(request, c => InferenceApi.ServerMetadataAsync(c));

    [Function(nameof(ApiRoutes.ModelMetadata))]
    public Task<IActionResult> ModelMetadataAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ModelMetadata)] HttpRequest request, string name, string version) =>
        Trampoline.RunAsync(request, c => api.ModelMetadataAsync(c, name, version));

    [Function(nameof(ApiRoutes.ModelMetadataDefault))]
    public Task<IActionResult> ModelMetadataDefaultAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ModelMetadataDefault)] HttpRequest request, string name) =>
        Trampoline.RunAsync(request, c => api.ModelMetadataAsync(c, name, null));

    [Function(nameof(ApiRoutes.ModelReady))]
    public Task<IActionResult> ModelReadyAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ModelReady)] HttpRequest request, string name, string version) =>
        Trampoline.RunAsync(request, c => api.ModelReadyAsync(c, name, version));

    [Function(nameof(ApiRoutes.ModelReadyDefault))]
    public Task<IActionResult> ModelReadyDefaultAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.ModelReadyDefault)] HttpRequest request, string name) =>
        Trampoline.RunAsync(request, c => api.ModelReadyAsync(c, name, null));

    [Function(nameof(ApiRoutes.ModelInfer))]
    public Task<IActionResult> InferAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApiRoutes.ModelInfer)] HttpRequest request, string name, string version) =>
        Trampoline.RunAsync(request, c => api.InferAsync(c, name, version));

    [Function(nameof(ApiRoutes.ModelInferDefault))]
    public Task<IActionResult> InferDefaultAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = ApiRoutes.ModelInferDefault)] HttpRequest request, string name) =>
        Trampoline.RunAsync(request, c => api.InferAsync(c, name, null));

    [Function(nameof(ApiRoutes.OpenApi))]
    public static Task<IActionResult> OpenApiAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = ApiRoutes.OpenApi)] HttpRequest request) =>
        Trampoline.RunAsync(request, c => OpenApiDocument.WriteAsync(c, ApiHost.Functions));
}
