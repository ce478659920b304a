using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
        services.TryAddSingleton(_ => ArtifactStores.Open(storeLocation)); // a host that registered its store (the Functions app) keeps it
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
    /// Maps every route of <see cref="ApiRoutes"/> that <c>lepton serve</c> serves. Admin routes go through
    /// <paramref name="adminFilter"/>, which returns false after writing a refusal.
    /// </summary>
    public static IEndpointRouteBuilder MapInferenceApi(this IEndpointRouteBuilder routes, Func<HttpContext, Task<bool>> adminFilter)
    {
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(adminFilter);
        var handlers = Handlers(routes.ServiceProvider);
        foreach (var route in ApiRoutes.On(ApiHost.Serve))
        {
            if (!handlers.Remove(route.Name, out var handler))
            {
                throw new InvalidOperationException($"route {route.Name} has no handler on lepton serve");
            }

            routes.MapMethods(route.Path, [route.Method], route.Admin ? Admin(handler, adminFilter) : handler);
        }

        if (handlers.Count > 0)
        {
            throw new InvalidOperationException($"handlers without a route: {string.Join(", ", handlers.Keys)}");
        }

        return routes;
    }

    private static RequestDelegate Admin(RequestDelegate handler, Func<HttpContext, Task<bool>> adminFilter) => async c =>
    {
        if (await adminFilter(c).ConfigureAwait(false))
        {
            await handler(c).ConfigureAwait(false);
        }
    };

    /// <summary>
    /// The handler of each route <c>lepton serve</c> serves, by route name. The APIs are singletons taken
    /// from the application's services once (not from each request's scope: a request that touches
    /// <c>RequestServices</c> creates and disposes a scope).
    /// </summary>
    private static Dictionary<string, RequestDelegate> Handlers(IServiceProvider services)
    {
        var api = new Lazy<InferenceApi>(services.GetRequiredService<InferenceApi>);
        static string Route(HttpContext c, string key) => c.Request.RouteValues[key]?.ToString() ?? string.Empty;
        static string? OptionalRoute(HttpContext c, string key) => c.Request.RouteValues[key]?.ToString();

        return new(StringComparer.Ordinal)
        {
            [nameof(ApiRoutes.Predict)] = c => api.Value.PredictAsync(c, Route(c, "name")),
            [nameof(ApiRoutes.Generate)] = c => c.RequestServices.GetRequiredService<GenerateApi>().GenerateAsync(c, Route(c, "name")),
            [nameof(ApiRoutes.Explain)] = c => c.RequestServices.GetRequiredService<ExplainApi>().ExplainAsync(c, Route(c, "name")),
            [nameof(ApiRoutes.ModelCard)] = c => c.RequestServices.GetRequiredService<CardApi>().GetCardAsync(c, Route(c, "name"), Route(c, "version")),
            [nameof(ApiRoutes.ModelCardImage)] = c => c.RequestServices.GetRequiredService<CardApi>().GetImageAsync(c, Route(c, "name"), Route(c, "version"), Route(c, "image")),
            [nameof(ApiRoutes.ListModels)] = c => api.Value.ListModelsAsync(c),
            [nameof(ApiRoutes.GetModel)] = c => api.Value.GetModelAsync(c, Route(c, "name")),
            [nameof(ApiRoutes.SetAlias)] = c => api.Value.SetAliasAsync(c, Route(c, "name"), Route(c, "alias")),
            [nameof(ApiRoutes.ServerLive)] = InferenceApi.LiveAsync,
            [nameof(ApiRoutes.ServerReady)] = c => api.Value.ReadyAsync(c),
            [nameof(ApiRoutes.ServerMetadata)] = InferenceApi.ServerMetadataAsync,
            [nameof(ApiRoutes.ModelMetadataDefault)] = c => api.Value.ModelMetadataAsync(c, Route(c, "name"), null),
            [nameof(ApiRoutes.ModelMetadata)] = c => api.Value.ModelMetadataAsync(c, Route(c, "name"), OptionalRoute(c, "version")),
            [nameof(ApiRoutes.ModelReadyDefault)] = c => api.Value.ModelReadyAsync(c, Route(c, "name"), null),
            [nameof(ApiRoutes.ModelReady)] = c => api.Value.ModelReadyAsync(c, Route(c, "name"), OptionalRoute(c, "version")),
            [nameof(ApiRoutes.ModelInferDefault)] = c => api.Value.InferAsync(c, Route(c, "name"), null),
            [nameof(ApiRoutes.ModelInfer)] = c => api.Value.InferAsync(c, Route(c, "name"), OptionalRoute(c, "version")),
            [nameof(ApiRoutes.OpenApi)] = c => OpenApiDocument.WriteAsync(c, ApiHost.Serve),
            [nameof(ApiRoutes.Console)] = c => ConsolePage.WriteIndexAsync(c, ApiHost.Serve),
            [nameof(ApiRoutes.ConsoleAsset)] = c => ConsolePage.WriteAssetAsync(c, Route(c, "file")),
        };
    }
}
