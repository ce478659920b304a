using System.Text.Json;
using Lepton.Inference.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Lepton.Functions.Tests;

/// <summary>
/// What the Functions host will index: the functions.metadata the Worker SDK generates at build time (its
/// HTTP functions against the route table: <see cref="RouteTableTests"/>).
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static Dictionary<string, JsonElement> Functions()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        Assert.True(File.Exists(path), $"{path} missing: the Worker SDK did not generate it");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.Clone());
    }

    private static readonly string[] Activities =
    [
        "PrepareDatasetActivity", "SubmitTrainingActivity", "GetTrainingStatusActivity", "CancelTrainingActivity",
        "ReadMetricsActivity", "FindPublishedActivity", "PublishActivity", "PromoteActivity", "RecordOutcomeActivity",
        "ComputeCapacityActivity", "ReadValidationHistoryActivity",
        "PlanBatchActivity", "ScoreBatchChunkActivity", "MergeBatchActivity",
    ];

    private static JsonElement Trigger(JsonElement function) =>
        function.GetProperty("bindings").EnumerateArray().First(b => b.GetProperty("direction").GetString() == "In" && b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    [Fact]
    public void Metadata_PipelineOrchestratorAndActivities()
    {
        var functions = Functions();

        Assert.Equal("orchestrationTrigger", Trigger(functions["TrainingPipeline"]).GetProperty("type").GetString());
        Assert.Equal("orchestrationTrigger", Trigger(functions["SweepTrial"]).GetProperty("type").GetString());
        Assert.All(Activities, name => Assert.Equal("activityTrigger", Trigger(functions[name]).GetProperty("type").GetString()));
    }

    [Fact]
    public void Metadata_UploadsTriggerThePipelineThroughEventGrid()
    {
        var function = Functions()["DatasetUploaded"];
        var trigger = Trigger(function);

        Assert.Equal("blobTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("datasets/{model}/{file}", trigger.GetProperty("path").GetString());
        Assert.Equal("EventGrid", trigger.GetProperty("source").GetString());
        Assert.Contains(function.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString() == "durableClient");
    }

    [Fact]
    public void Metadata_BatchUploadsStartJobsThroughEventGrid()
    {
        var function = Functions()["BatchUploaded"];
        var trigger = Trigger(function);

        Assert.Equal("blobTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("batch/{model}/{file}", trigger.GetProperty("path").GetString());
        Assert.Equal("EventGrid", trigger.GetProperty("source").GetString());
        Assert.Contains(function.GetProperty("bindings").EnumerateArray(), b => b.GetProperty("type").GetString() == "durableClient");
    }

    [Fact]
    public void Metadata_DeployedApp_HasOnlyTriggersFlexConsumptionAccepts()
    {
        // Flex Consumption refuses any blob trigger whose source is not Event Grid (even a disabled one),
        // and the local app's timer scan must not ship.
        var triggers = Functions().Values.Select(Trigger).ToArray();

        Assert.All(triggers.Where(t => t.GetProperty("type").GetString() == "blobTrigger"),
            t => Assert.Equal("EventGrid", t.GetProperty("source").GetString()));
        Assert.DoesNotContain(triggers, t => t.GetProperty("type").GetString() == "timerTrigger");
    }

    [Fact]
    public void Metadata_HasNoUnexpectedFunctions()
    {
        var expected = ApiRoutes.On(ApiHost.Functions).Select(r => r.Name).Concat(Activities).Concat(["TrainingPipeline", "SweepTrial", "BatchScoring", "DatasetUploaded", "BatchUploaded"]);

        Assert.Equal(expected.Order(), Functions().Keys.Order());
    }

    [Fact]
    public void ExtensionsJson_HasDurableTaskAndBlobs()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "extensions.json")));
        var names = doc.RootElement.GetProperty("extensions").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToArray();

        Assert.Contains("DurableTask", names);
        Assert.Contains("AzureStorageBlobs", names);
    }

    [Fact]
    public void HostJson_IsCopied_WithNoRoutePrefix()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")));

        Assert.Equal("2.0", doc.RootElement.GetProperty("version").GetString());
        Assert.Equal(string.Empty, doc.RootElement.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
        Assert.Equal("%TASKHUB_NAME%", doc.RootElement.GetProperty("extensions").GetProperty("durableTask").GetProperty("hubName").GetString());
    }

    [Fact]
    public void Health_Run_ReportsOk()
    {
        var result = Assert.IsType<OkObjectResult>(HealthFunction.Run(new DefaultHttpContext().Request));

        var report = Assert.IsType<HealthReport>(result.Value);
        Assert.Equal("ok", report.Status);
    }
}
