namespace Lepton.Inference.Http;

/// <summary>
/// The HTTP API's one route table: <c>lepton serve</c> maps it (<see cref="InferenceEndpoints.MapInferenceApi"/>),
/// the Functions app's trampolines take their names and routes from its constants (an attribute argument
/// must be a constant), and the OpenAPI document is generated from it (<see cref="OpenApiDocument"/>).
/// Each constant is a route template as the Functions host takes it (no leading '/'; host.json sets no
/// route prefix) and is named as the function that serves it.
/// </summary>
public static class ApiRoutes
{
    public const string Predict = "api/models/{name}/predict";
    public const string Generate = "api/models/{name}/generate";
    public const string Explain = "api/models/{name}/explain";
    public const string ModelCard = "api/models/{name}/versions/{version}/card";
    public const string ModelCardImage = "api/models/{name}/versions/{version}/card/{image}";
    public const string ListModels = "api/models";
    public const string GetModel = "api/models/{name}";
    public const string SetAlias = "api/models/{name}/aliases/{alias}";
    public const string ServerLive = "v2/health/live";
    public const string ServerReady = "v2/health/ready";
    public const string ServerMetadata = "v2";
    public const string ModelMetadataDefault = "v2/models/{name}";
    public const string ModelMetadata = "v2/models/{name}/versions/{version}";
    public const string ModelReadyDefault = "v2/models/{name}/ready";
    public const string ModelReady = "v2/models/{name}/versions/{version}/ready";
    public const string ModelInferDefault = "v2/models/{name}/infer";
    public const string ModelInfer = "v2/models/{name}/versions/{version}/infer";
    public const string OpenApi = "openapi.json";
    public const string Console = "";
    public const string ConsoleAsset = "console/{file}";
    public const string Health = "api/health";
    public const string StartPipeline = "api/pipelines";
    public const string ListPipelines = "api/pipelines";
    public const string GetPipeline = "api/pipelines/{id}";
    public const string CancelPipeline = "api/pipelines/{id}/cancel";
    public const string StartBatch = "api/models/{name}/batch";
    public const string GetBatch = "api/batches/{id}";

    /// <summary>
    /// The site root on the Functions host: it keeps an empty route for its own homepage (or a 204 with
    /// AzureWebJobsDisableHomepage), but routes an optional parameter that must be empty to the function.
    /// </summary>
    public const string ConsoleOnFunctions = "{root:maxlength(0)?}";

    private const string Get = "GET";
    private const string Post = "POST";
    private const string Put = "PUT";

    /// <summary>Every route, in the order the OpenAPI document lists them.</summary>
    public static IReadOnlyList<ApiRoute> All { get; } =
    [
        new(nameof(ListModels), "listModels", Get, ListModels, "List models with their latest version and aliases"),
        new(nameof(GetModel), "getModel", Get, GetModel, "A model: aliases, alias history and every version's manifest"),
        new(nameof(Predict), "predict", Post, Predict, "Classify images"),
        new(nameof(Generate), "generate", Post, Generate, "Generate images with a generator model"),
        new(nameof(Explain), "explain", Post, Explain, "Explain a prediction (occlusion saliency)"),
        new(nameof(ModelCard), "getModelCard", Get, ModelCard, "A version's model card"),
        new(nameof(ModelCardImage), "getModelCardImage", Get, ModelCardImage, "An image of a version's model card"),
        new(nameof(SetAlias), "setAlias", Put, SetAlias, "Point an alias at a version (promotion or rollback); admin") { Admin = true },
        new(nameof(ServerLive), "serverLive", Get, ServerLive, "Server liveness"),
        new(nameof(ServerReady), "serverReady", Get, ServerReady, "Server readiness: the model registry answers and every production alias points at a readable version"),
        new(nameof(ServerMetadata), "serverMetadata", Get, ServerMetadata, "Server metadata"),
        new(nameof(ModelMetadataDefault), "modelMetadata", Get, ModelMetadataDefault, "Model metadata (default version: the production alias, else the latest)"),
        new(nameof(ModelMetadata), "modelVersionMetadata", Get, ModelMetadata, "Model version metadata"),
        new(nameof(ModelReadyDefault), "modelReady", Get, ModelReadyDefault, "Model readiness (loads and verifies it)"),
        new(nameof(ModelReady), "modelVersionReady", Get, ModelReady, "Model version readiness"),
        new(nameof(ModelInferDefault), "modelInfer", Post, ModelInferDefault, "Inference (Open Inference Protocol v2)"),
        new(nameof(ModelInfer), "modelVersionInfer", Post, ModelInfer, "Inference on a version (Open Inference Protocol v2)"),
        new(nameof(OpenApi), "openApi", Get, OpenApi, "This document"),
        new(nameof(Console), "console", Get, Console, "The web console (an HTML page)") { FunctionsTemplate = ConsoleOnFunctions },
        new(nameof(ConsoleAsset), "consoleAsset", Get, ConsoleAsset, "The web console's script or style sheet"),
        new(nameof(Health), "health", Get, Health, "Liveness of the Functions app") { OnlyOn = ApiHost.Functions },
        new(nameof(StartPipeline), "startPipeline", Post, StartPipeline, "Start a training pipeline run; admin") { OnlyOn = ApiHost.Functions, Admin = true },
        new(nameof(ListPipelines), "listPipelines", Get, ListPipelines, "The newest pipeline runs of the last 30 days; admin") { OnlyOn = ApiHost.Functions, Admin = true },
        new(nameof(GetPipeline), "getPipeline", Get, GetPipeline, "A pipeline run: status, progress, result or failure; admin") { OnlyOn = ApiHost.Functions, Admin = true },
        new(nameof(CancelPipeline), "cancelPipeline", Post, CancelPipeline, "Cancel a pipeline run; admin") { OnlyOn = ApiHost.Functions, Admin = true },
        new(nameof(StartBatch), "startBatch", Post, StartBatch, "Start a batch scoring job over a stored archive of images; admin") { OnlyOn = ApiHost.Functions, Admin = true },
        new(nameof(GetBatch), "getBatch", Get, GetBatch, "A batch scoring job: status, progress, summary or failure; admin") { OnlyOn = ApiHost.Functions, Admin = true },
    ];

    /// <summary>The routes <paramref name="host"/> serves.</summary>
    public static IEnumerable<ApiRoute> On(ApiHost host) => All.Where(r => r.IsServedBy(host));
}
