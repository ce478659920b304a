using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Pipeline;
using Lepton.Pipeline.Activities;
using Lepton.Pipeline.Compute;
using Lepton.Pipeline.Orchestration;
using Lepton.Tests;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lepton.Functions.Tests;

/// <summary>The pipeline's function bodies with a real Durable Task client (the in-process engine) and a real trainer.</summary>
public sealed class PipelineFunctionsTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("lepton-pipeline-functions-").FullName;
    private DurableTaskTestHost _host = null!;
    private PipelineFunctions _functions = null!;
    private FolderArtifactStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new FolderArtifactStore(Path.Combine(_work, "store"));
        var registry = new ModelRegistry(_store);
        var workspace = new PipelineWorkspace(_store, Path.Combine(_work, "work"));
        var activities = new PipelineActivities(registry, new ProcessComputeTarget(TrainerCommand.Locate(), workspace.WorkFolder), workspace);
        _functions = new PipelineFunctions(activities, workspace, new PipelineDefaults(0.5, TimeSpan.FromMilliseconds(500)), NullLogger<PipelineFunctions>.Instance);
        _host = await Lepton.Cli.InProcessEngine.StartAsync(tasks => tasks.AddTrainingPipeline(registry, new ProcessComputeTarget(TrainerCommand.Locate(), workspace.WorkFolder), workspace));
        string folder = TestDatasets.WriteSlice(Path.Combine(_work, "upload"), train: 800, test: 100);
        string archive = Path.Combine(_work, "upload.zip");
        ZipFile.CreateFromDirectory(folder, archive);
        await using var input = File.OpenRead(archive);
        await _store.WriteAsync("datasets/shoes/upload.zip", input);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    private static HttpRequest Request(string? body = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body ?? string.Empty));
        return context.Request;
    }

    private static JsonElement Json(IActionResult result) =>
        JsonDocument.Parse(Assert.IsType<ContentResult>(result).Content!).RootElement.Clone();

    private static int? Status(IActionResult result) => Assert.IsType<ContentResult>(result).StatusCode;

    [Fact]
    public async Task Start_Watch_Cancel_OverHttp()
    {
        var start = await _functions.StartAsync(Request("""{"modelName":"shoes","dataset":"datasets/shoes/upload.zip","training":{"architecture":"cnn","epochs":60},"pollInterval":"00:00:00.200"}"""), _host.Client);
        Assert.Equal(202, Status(start));
        string id = Json(start).GetProperty("id").GetString()!;
        Assert.Equal($"/api/pipelines/{id}", Json(start).GetProperty("statusUri").GetString());

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        while ((await _host.Client.GetInstanceAsync(id, true, timeout.Token))?.ReadCustomStatusAs<PipelineProgress>() is not { Stage: PipelineStage.Training, Epoch: >= 1 })
        {
            await Task.Delay(100, timeout.Token);
        }

        var status = await PipelineFunctions.GetAsync(Request(), id, _host.Client);
        Assert.Equal("Running", Json(status).GetProperty("status").GetString());
        Assert.Equal("training", Json(status).GetProperty("progress").GetProperty("stage").GetString());

        var cancel = await PipelineFunctions.CancelAsync(Request(), id, _host.Client);
        Assert.Equal(202, Status(cancel));
        var done = await _host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
        Assert.Equal(PipelineOutcome.Canceled, done.ReadOutputAs<PipelineResult>()!.Outcome);
        Assert.Equal(409, Status(await PipelineFunctions.CancelAsync(Request(), id, _host.Client)));
        var ended = Json(await PipelineFunctions.GetAsync(Request(), id, _host.Client));
        Assert.Equal("Canceled", ended.GetProperty("result").GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Upload_StartsOneRun_AndOtherFilesAreIgnored()
    {
        string? first = await _functions.StartForUploadAsync("shoes", "upload.zip", _host.Client);
        string? again = await _functions.StartForUploadAsync("shoes", "upload.zip", _host.Client);
        string? ignored = await _functions.StartForUploadAsync("shoes", "train.json", _host.Client);

        Assert.NotNull(first);
        Assert.Equal(first, again);
        Assert.Null(ignored);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var run = await _host.Client.WaitForInstanceCompletionAsync(first, getInputsAndOutputs: true, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
    }

    [Fact]
    public async Task Upload_WithSettingsBeside_UsesThem()
    {
        await _store.WriteAsync("datasets/shoes/lepton.json", new MemoryStream(Encoding.UTF8.GetBytes("""{"architecture":"mlp","epochs":1,"minimumAccuracy":0.99}""")));

        string? id = await _functions.StartForUploadAsync("shoes", "upload.zip", _host.Client);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var run = await _host.Client.WaitForInstanceCompletionAsync(id!, getInputsAndOutputs: true, timeout.Token);

        var request = run.ReadInputAs<PipelineRequest>()!;
        Assert.Equal(("mlp", 1, 0.99), (request.Training.Architecture, request.Training.Epochs, request.MinimumAccuracy));
        Assert.False(run.ReadOutputAs<PipelineResult>()!.Promoted);
    }

    [Fact]
    public async Task Upload_WithBrokenSettings_StartsNothing()
    {
        await _store.WriteAsync("datasets/shoes/lepton.json", new MemoryStream(Encoding.UTF8.GetBytes("""{"epochs":"many"}""")));

        Assert.Null(await _functions.StartForUploadAsync("shoes", "upload.zip", _host.Client));
    }

    [Theory]
    [InlineData("not json", 400, "pipeline request")]
    [InlineData("""{"modelName":"Bad/Name","dataset":"datasets/shoes/upload.zip"}""", 400, "invalid model name")]
    [InlineData("""{"modelName":"shoes","dataset":"datasets/shoes/missing.zip"}""", 404, "dataset not found")]
    [InlineData("""{"modelName":"shoes","dataset":"datasets/shoes/upload.zip","epochz":3}""", 400, "epochz")]
    public async Task Start_BadRequest_IsAClientError(string body, int status, string expected)
    {
        var result = await _functions.StartAsync(Request(body), _host.Client);

        Assert.Equal(status, Status(result));
        Assert.Contains(expected, Json(result).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_UnknownRun_Is404()
    {
        Assert.Equal(404, Status(await PipelineFunctions.GetAsync(Request(), "nope", _host.Client)));
    }
}
