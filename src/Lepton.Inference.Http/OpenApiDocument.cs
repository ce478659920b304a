using System.Collections.Frozen;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Lepton.Inference.Http;

/// <summary>
/// The OpenAPI 3 document of a host's HTTP surface, served by both hosts at <c>/openapi.json</c>:
/// its paths are those of <see cref="ApiRoutes"/> the host serves (summary, operation id, and the
/// function-key security of admin routes from the table); what each operation takes and answers, and
/// the shared schemas, come from the embedded <c>openapi-operations.json</c>.
/// </summary>
public static class OpenApiDocument
{
    private static readonly FrozenDictionary<ApiHost, Lazy<byte[]>> Documents = Enum.GetValues<ApiHost>().ToFrozenDictionary(
        h => h, h => new Lazy<byte[]>(() => System.Text.Encoding.UTF8.GetBytes(Generate(h).ToJsonString())));

    /// <summary>The document of <paramref name="host"/>, as served.</summary>
    public static ReadOnlyMemory<byte> Content(ApiHost host) => Documents[host].Value;

    /// <summary>
    /// Generates the document of <paramref name="host"/>. Throws when a route has no operation in
    /// openapi-operations.json or an operation there belongs to no route.
    /// </summary>
    public static JsonObject Generate(ApiHost host)
    {
        var parts = ReadParts();
        var operations = parts["operations"]!.AsObject();
        var unknown = operations.Select(o => o.Key).Except(ApiRoutes.All.Select(r => r.OperationId), StringComparer.Ordinal).ToArray();
        if (unknown.Length > 0)
        {
            throw new InvalidOperationException($"openapi-operations.json describes operations no route has: {string.Join(", ", unknown)}");
        }

        var paths = new JsonObject();
        foreach (var route in ApiRoutes.On(host))
        {
            if (!operations.TryGetPropertyValue(route.OperationId, out var details) || details is not JsonObject detailObject)
            {
                throw new InvalidOperationException($"openapi-operations.json does not describe {route.OperationId} ({route.Method} {route.Path})");
            }

            var operation = new JsonObject { ["summary"] = route.Summary, ["operationId"] = route.OperationId };
            if (route.Admin)
            {
                operation["security"] = new JsonArray(new JsonObject { ["functionKey"] = new JsonArray() }, new JsonObject { ["functionKeyQuery"] = new JsonArray() });
            }

            foreach (var (key, value) in detailObject)
            {
                operation[key] = value?.DeepClone();
            }

            if (paths[route.Path] is not JsonObject path)
            {
                path = [];
                paths[route.Path] = path;
            }

            path[route.Method.ToLowerInvariant()] = operation;
        }

        return new JsonObject
        {
            ["openapi"] = parts["openapi"]!.DeepClone(),
            ["info"] = parts["info"]!.DeepClone(),
            ["paths"] = paths,
            ["components"] = parts["components"]!.DeepClone(),
        };
    }

    public static async Task WriteAsync(HttpContext context, ApiHost host)
    {
        ArgumentNullException.ThrowIfNull(context);
        var bytes = Content(host);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted).ConfigureAwait(false);
    }

    private static JsonObject ReadParts()
    {
        using var stream = typeof(OpenApiDocument).Assembly.GetManifestResourceStream("Lepton.Inference.Http.openapi-operations.json")
            ?? throw new InvalidOperationException("openapi-operations.json is not embedded");
        return JsonNode.Parse(stream)!.AsObject();
    }
}
