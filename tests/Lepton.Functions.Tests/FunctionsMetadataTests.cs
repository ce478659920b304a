using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Lepton.Functions.Tests;

/// <summary>What the Functions host will index: the functions.metadata the Worker SDK generates at build time.</summary>
public sealed class FunctionsMetadataTests
{
    private static JsonElement[] Functions()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        Assert.True(File.Exists(path), $"{path} missing: the Worker SDK did not generate it");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    [Fact]
    public void Metadata_HealthIsAnAnonymousGetHttpTrigger()
    {
        var health = Assert.Single(Functions(), f => f.GetProperty("name").GetString() == HealthFunction.Name);

        var trigger = health.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("direction").GetString() == "In");
        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("health", trigger.GetProperty("route").GetString());
        Assert.Equal("Anonymous", trigger.GetProperty("authLevel").GetString(), ignoreCase: true);
        Assert.Equal(["get"], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public void HostJson_IsCopiedWithTheApiRoutePrefix()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")));

        Assert.Equal("2.0", doc.RootElement.GetProperty("version").GetString());
        Assert.Equal("api", doc.RootElement.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
    }

    [Fact]
    public void Health_Run_ReportsOk()
    {
        var result = Assert.IsType<OkObjectResult>(HealthFunction.Run(new DefaultHttpContext().Request));

        var report = Assert.IsType<HealthReport>(result.Value);
        Assert.Equal("ok", report.Status);
    }
}
