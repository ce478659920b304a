using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Lepton.Inference.Http;

/// <summary>Registration and routing of the inference API for ASP.NET Core hosts.</summary>
public static class InferenceEndpoints
{
    /// <summary>Registers the artifact store (from <paramref name="storeLocation"/>), registry, runtime and API.</summary>
    public static IServiceCollection AddLeptonInference(this IServiceCollection services, string? storeLocation, IConfiguration? configuration = null)
    {
        var options = new InferenceOptions();
        configuration?.GetSection(InferenceOptions.Section).Bind(options);
        services.AddSingleton(options);
        services.AddSingleton(_ => ArtifactStores.Open(storeLocation));
        services.AddSingleton(sp => new ModelRegistry(sp.GetRequiredService<IArtifactStore>()));
        services.AddSingleton(sp => new ModelRuntime(
            sp.GetRequiredService<ModelRegistry>(), options, null, sp.GetService<ILogger<ModelRuntime>>()));
        services.AddSingleton<InferenceApi>();
        services.AddSingleton<GenerateApi>();
        services.AddSingleton<CardApi>();
        services.AddSingleton<ExplainApi>();
        return services;
    }

    /// <summary>
    /// Maps every route. Admin routes go through <paramref name="adminFilter"/>, which returns false
    /// after writing a refusal.
    /// </summary>
    public static IEndpointRouteBuilder MapInferenceApi(this IEndpointRouteBuilder routes, Func<HttpContext, Task<bool>> adminFilter)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(adminFilter);
        InferenceApi Api(HttpContext c) => c.RequestServices.GetRequiredService<InferenceApi>();
        static string Route(HttpContext c, string key) => c.Request.RouteValues[key]?.ToString() ?? string.Empty;
        static string? OptionalRoute(HttpContext c, string key) => c.Request.RouteValues[key]?.ToString();

        routes.MapPost("/api/models/{name}/predict", c => Api(c).PredictAsync(c, Route(c, "name")));
        routes.MapPost("/api/models/{name}/generate", c => c.RequestServices.GetRequiredService<GenerateApi>().GenerateAsync(c, Route(c, "name")));
        routes.MapPost(ExplainApi.Route, c => c.RequestServices.GetRequiredService<ExplainApi>().ExplainAsync(c, Route(c, "name")));
        routes.MapGet(CardApi.CardRoute, c => c.RequestServices.GetRequiredService<CardApi>().GetCardAsync(c, Route(c, "name"), Route(c, "version")));
        routes.MapGet(CardApi.ImageRoute, c => c.RequestServices.GetRequiredService<CardApi>().GetImageAsync(c, Route(c, "name"), Route(c, "version"), Route(c, "image")));
        routes.MapGet("/api/models", c => Api(c).ListModelsAsync(c));
        routes.MapGet("/api/models/{name}", c => Api(c).GetModelAsync(c, Route(c, "name")));
        routes.MapPut("/api/models/{name}/aliases/{alias}", async c =>
        {
            if (await adminFilter(c).ConfigureAwait(false))
            {
                await Api(c).SetAliasAsync(c, Route(c, "name"), Route(c, "alias")).ConfigureAwait(false);
            }
        });
        routes.MapGet("/v2/health/live", InferenceApi.LiveAsync);
        routes.MapGet("/v2/health/ready", c => Api(c).ReadyAsync(c));
        routes.MapGet("/v2", InferenceApi.ServerMetadataAsync);
        routes.MapGet("/v2/models/{name}", c => Api(c).ModelMetadataAsync(c, Route(c, "name"), null));
        routes.MapGet("/v2/models/{name}/versions/{version}", c => Api(c).ModelMetadataAsync(c, Route(c, "name"), OptionalRoute(c, "version")));
        routes.MapGet("/v2/models/{name}/ready", c => Api(c).ModelReadyAsync(c, Route(c, "name"), null));
        routes.MapGet("/v2/models/{name}/versions/{version}/ready", c => Api(c).ModelReadyAsync(c, Route(c, "name"), OptionalRoute(c, "version")));
        routes.MapPost("/v2/models/{name}/infer", c => Api(c).InferAsync(c, Route(c, "name"), null));
        routes.MapPost("/v2/models/{name}/versions/{version}/infer", c => Api(c).InferAsync(c, Route(c, "name"), OptionalRoute(c, "version")));
        routes.MapGet("/openapi.json", OpenApiDocument.WriteAsync);
        routes.MapGet("/", c => ConsolePage.WriteIndexAsync(c, ConsoleHost.Serve));
        routes.MapGet("/" + ConsolePage.AssetRoute, c => ConsolePage.WriteAssetAsync(c, Route(c, "file")));
        return routes;
    }
}
