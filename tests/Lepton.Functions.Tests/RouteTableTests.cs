using System.Text.Json;
using System.Text.Json.Nodes;
using Lepton.Inference.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Lepton.Functions.Tests;

/// <summary>
/// The route table (<see cref="ApiRoutes"/>) against what each host really serves: the Functions app's
/// functions.metadata (what the Functions host indexes), the endpoints <c>lepton serve</c> maps
/// (<see cref="InferenceEndpoints.MapInferenceApi"/>, as ServeCommand calls it) and each host's OpenAPI document.
/// </summary>
public sealed class RouteTableTests
{
    /// <summary>The HTTP functions of functions.metadata: name, method, route, auth level.</summary>
    private static List<(string Name, string Method, string Route, string AuthLevel)> MetadataHttpFunctions()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")));
        var functions = new List<(string, string, string, string)>();
        foreach (var function in doc.RootElement.EnumerateArray())
        {
            foreach (var binding in function.GetProperty("bindings").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "httpTrigger"))
            {
                functions.AddRange(binding.GetProperty("methods").EnumerateArray().Select(m => (
                    function.GetProperty("name").GetString()!, m.GetString()!.ToUpperInvariant(), binding.GetProperty("route").GetString()!,
                    binding.GetProperty("authLevel").GetString()!)));
            }
        }

        return functions;
    }

    private static async Task<List<(string Method, string Path)>> ServeEndpointsAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddLeptonInference(Path.Combine(Path.GetTempPath(), "lepton-route-table-unused"));
        await using var app = builder.Build();
        app.MapInferenceApi(_ => Task.FromResult(true));
        return [.. ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .SelectMany(e => e.Metadata.GetRequiredMetadata<IHttpMethodMetadata>().HttpMethods.Select(m => (m, e.RoutePattern.RawText!)))];
    }

    private static List<(string Method, string Path)> DocumentOperations(ApiHost host) =>
        [.. OpenApiDocument.Generate(host)["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Select(o => (o.Key.ToUpperInvariant(), p.Key)))];

    private static IEnumerable<(string Method, string Path)> Table(ApiHost host) => ApiRoutes.On(host).Select(r => (r.Method, r.Path));

    [Fact]
    public void FunctionsMetadata_ListsTheTablesFunctionsRoutes_WithTheirNamesAndKeys()
    {
        var expected = ApiRoutes.On(ApiHost.Functions).Select(r => (r.Name, r.Method, r.FunctionsTemplate, r.Admin ? "Function" : "Anonymous"));

        Assert.Equal(expected.Order(), MetadataHttpFunctions().Select(f => (f.Name, f.Method, f.Route, f.AuthLevel)).Order());
    }

    [Fact]
    public async Task ServeEndpoints_AreTheTablesServeRoutes()
    {
        Assert.Equal(Table(ApiHost.Serve).Order(), (await ServeEndpointsAsync()).Order());
    }

    [Theory]
    [InlineData(ApiHost.Serve)]
    [InlineData(ApiHost.Functions)]
    public void OpenApiDocument_HasAnOperationForEachRouteOfItsHost(ApiHost host)
    {
        Assert.Equal(Table(host).Order(), DocumentOperations(host).Order());
    }

    [Fact]
    public async Task Hosts_ServeTheSameRoutes_ButTheFunctionsOnlyOnes()
    {
        // The Functions app's routes, its site root written the Functions way, as paths.
        var functions = MetadataHttpFunctions().Select(f => (f.Method, "/" + (f.Route == ApiRoutes.ConsoleOnFunctions ? ApiRoutes.Console : f.Route)));
        var serve = await ServeEndpointsAsync();

        // The health route and the pipeline's and batch scoring's admin routes need the Functions app
        // (Durable Functions); lepton serve has no route the Functions app lacks.
        (string, string)[] expected =
        [
            ("GET", "/api/batches/{id}"), ("GET", "/api/health"), ("GET", "/api/pipelines"), ("GET", "/api/pipelines/{id}"),
            ("POST", "/api/models/{name}/batch"), ("POST", "/api/pipelines"), ("POST", "/api/pipelines/{id}/cancel"),
        ];
        var onlyOnFunctions = functions.Except(serve).Order().ToArray();
        Assert.Equal(expected, onlyOnFunctions);
        Assert.Empty(serve.Except(functions));
        Assert.Equal(onlyOnFunctions, ApiRoutes.All.Where(r => r.OnlyOn == ApiHost.Functions).Select(r => (r.Method, r.Path)).Order());
        Assert.DoesNotContain(ApiRoutes.All, r => r.OnlyOn == ApiHost.Serve);
    }

    [Fact]
    public void Table_NamesAndOperationIdsAreUnique_AndOnlyTheRootIsWrittenApartOnFunctions()
    {
        Assert.Equal(ApiRoutes.All.Count, ApiRoutes.All.Select(r => r.Name).Distinct().Count());
        Assert.Equal(ApiRoutes.All.Count, ApiRoutes.All.Select(r => r.OperationId).Distinct().Count());
        Assert.Equal(ApiRoutes.All.Count, ApiRoutes.All.Select(r => (r.Method, r.Path)).Distinct().Count());
        Assert.Equal([nameof(ApiRoutes.Console)], ApiRoutes.All.Where(r => r.FunctionsTemplate != r.Template).Select(r => r.Name));
    }

    [Theory]
    [InlineData(ApiHost.Serve)]
    [InlineData(ApiHost.Functions)]
    public void OpenApiDocument_AdminRoutesTakeTheFunctionKey_OthersNone(ApiHost host)
    {
        var paths = OpenApiDocument.Generate(host)["paths"]!.AsObject();

        Assert.All(ApiRoutes.On(host), route =>
        {
            var operation = paths[route.Path]![route.Method.ToLowerInvariant()]!.AsObject();
            Assert.Equal(route.Summary, operation["summary"]!.GetValue<string>());
            Assert.Equal(route.Admin, operation.ContainsKey("security"));
        });
    }

    [Fact]
    public void OpenApiDocument_KeepsTheSchemasOfTheOperations()
    {
        var doc = OpenApiDocument.Generate(ApiHost.Functions);
        var predict = doc["paths"]!["/api/models/{name}/predict"]!["post"]!;
        var schemas = doc["components"]!["schemas"]!.AsObject();

        Assert.Equal("3.0.3", doc["openapi"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/Predictions", predict["responses"]!["200"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        Assert.Equal("#/components/schemas/PipelineRequest", doc["paths"]!["/api/pipelines"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!["$ref"]!.GetValue<string>());
        // Every reference resolves.
        var references = References(doc).Distinct().ToArray();
        Assert.Contains("#/components/schemas/PipelineStatus", references);
        Assert.All(references, reference => Assert.NotNull(Resolve(doc, reference)));
        Assert.True(schemas.ContainsKey("InferRequest"));
    }

    private static IEnumerable<string> References(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => p.Key == "$ref" ? [p.Value!.GetValue<string>()] : References(p.Value)),
        JsonArray a => a.SelectMany(References),
        _ => [],
    };

    private static JsonNode? Resolve(JsonNode doc, string reference) =>
        reference.TrimStart('#', '/').Split('/').Aggregate<string, JsonNode?>(doc, (node, key) => node?[key]);
}
