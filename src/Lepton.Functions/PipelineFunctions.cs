using System.Text.Json;
using Azure.Storage.Blobs;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Core.Evaluation;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Http;
using Lepton.Pipeline;
using Lepton.Pipeline.Activities;
using Lepton.Pipeline.Orchestration;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Lepton.Functions;

/// <summary>
/// The training pipeline in Azure Functions: the orchestrator and activities as Durable Functions over
/// the host-neutral code in Lepton.Pipeline, a blob trigger that starts a run for each dataset upload,
/// and admin HTTP routes to start, watch and cancel runs.
/// </summary>
public sealed partial class PipelineFunctions(PipelineActivities activities, PipelineWorkspace workspace, PipelineDefaults defaults, ILogger<PipelineFunctions> logger)
{
    public const string UploadPath = "datasets/{model}/{file}";

    [Function(nameof(TrainingPipeline))]
    public static Task<PipelineResult> OrchestrateAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new TrainingPipeline().RunAsync(context, context.GetInput<PipelineRequest>()!);
    }

    [Function(nameof(SweepTrial))]
    public static Task<SweepTrialResult> TrialAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new SweepTrial().RunAsync(context, context.GetInput<SweepTrialInput>()!);
    }

    [Function(nameof(ComputeCapacityActivity))]
    public Task<int> CapacityAsync([ActivityTrigger] int input) => activities.Capacity.ExecuteAsync(input);

    [Function(nameof(ReadValidationHistoryActivity))]
    public Task<IReadOnlyList<double?>?> ValidationHistoryAsync([ActivityTrigger] TrainingJobHandle input) => activities.ValidationHistory.ExecuteAsync(input);

    [Function(nameof(PrepareDatasetActivity))]
    public Task<PreparedDataset> PrepareAsync([ActivityTrigger] PipelineRequest input) => activities.Prepare.ExecuteAsync(input);

    [Function(nameof(SubmitTrainingActivity))]
    public Task<TrainingJobHandle> SubmitAsync([ActivityTrigger] SubmitTrainingInput input) => activities.Submit.ExecuteAsync(input);

    [Function(nameof(GetTrainingStatusActivity))]
    public Task<TrainingJobStatus> StatusAsync([ActivityTrigger] TrainingJobHandle input) => activities.Status.ExecuteAsync(input);

    [Function(nameof(CancelTrainingActivity))]
    public Task<bool> CancelTrainingAsync([ActivityTrigger] TrainingJobHandle input) => activities.Cancel.ExecuteAsync(input);

    [Function(nameof(ReadMetricsActivity))]
    public Task<RunMetrics> ReadMetricsAsync([ActivityTrigger] TrainingJobHandle input) => activities.ReadMetrics.ExecuteAsync(input);

    [Function(nameof(FindPublishedActivity))]
    public Task<PublishedVersion?> FindPublishedAsync([ActivityTrigger] FindPublishedInput input) => activities.FindPublished.ExecuteAsync(input);

    [Function(nameof(RecordOutcomeActivity))]
    public Task<bool> RecordOutcomeAsync([ActivityTrigger] RecordOutcomeInput input) => activities.RecordOutcome.ExecuteAsync(input);

    [Function(nameof(PublishActivity))]
    public Task<int> PublishAsync([ActivityTrigger] PublishRequest input) => activities.Publish.ExecuteAsync(input);

    [Function(nameof(PromoteActivity))]
    public Task<PromotionDecision> PromoteAsync([ActivityTrigger] PromotionRequest input) => activities.Promote.ExecuteAsync(input);

    /// <summary>
    /// An upload in Azure (Flex Consumption runs blob triggers only from Event Grid). Locally, where Azurite
    /// has no Event Grid, src/Lepton.Functions.Local scans the container on a timer instead.
    /// </summary>
    [Function("DatasetUploaded")]
    public Task DatasetUploadedAsync(
        [BlobTrigger(UploadPath, Source = BlobTriggerSource.EventGrid, Connection = "AzureWebJobsStorage")] BlobClient blob,
        string model, string file, [DurableClient] DurableTaskClient client) =>
        StartForUploadAsync(model, file, client);

    /// <summary>Starts (once per model and dataset content) the run for an uploaded archive.</summary>
    public async Task<string?> StartForUploadAsync(string model, string file, DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!UploadScanner.IsArchive(file))
        {
            LogIgnored(model, file);
            return null;
        }

        string dataset = $"{PipelineWorkspace.UploadsContainer}/{model}/{file}";
        var request = new PipelineRequest
        {
            ModelName = model,
            Dataset = dataset,
            MinimumAccuracy = defaults.MinimumAccuracy,
            PollInterval = defaults.PollInterval,
        };
        var upload = await workspace.Store.GetInfoAsync(dataset).ConfigureAwait(false);
        try
        {
            var settings = await workspace.Store.ReadAsync($"{PipelineWorkspace.UploadsContainer}/{model}/{UploadSettings.FileName}").ConfigureAwait(false);
            if (settings is not null)
            {
                request = UploadSettings.Parse(settings.Data.ToString(), $"{model}/{UploadSettings.FileName}").ApplyTo(request);
            }

            var (id, started) = await PipelineEngine.StartAsync(client, request, workspace).ConfigureAwait(false);
            LogStarted(model, file, id, started);
            await RecordAsync(upload, new UploadRun(model, file, upload?.ETag ?? string.Empty, id, started, DateTimeOffset.UtcNow)).ConfigureAwait(false);
            return id;
        }
        catch (Exception ex) when (ex is DatasetFormatException or InvalidNameException or InvalidDataException or InvalidPipelineRequestException or InvalidArtifactPathException)
        {
            LogRejected(ex, model, file);
            await RecordAsync(upload, new UploadRun(model, file, upload?.ETag ?? string.Empty, null, false, DateTimeOffset.UtcNow, ex.Message)).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>
    /// Records what became of an upload (for <c>lepton datasets upload --wait</c> and <c>list</c>), under
    /// the ETag read before the run started: a newer upload of the same name gets its own record.
    /// </summary>
    private async Task RecordAsync(ArtifactInfo? upload, UploadRun run)
    {
        if (upload is not null)
        {
            await UploadRun.WriteAsync(workspace.Store, run).ConfigureAwait(false);
        }
    }

    /// <summary><c>POST /api/pipelines</c> with a pipeline request (admin): starts a run, 202 with its status URLs.</summary>
    [Function(nameof(ApiRoutes.StartPipeline))]
    public async Task<IActionResult> StartAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = ApiRoutes.StartPipeline)] HttpRequest request, [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        PipelineRequest run;
        try
        {
            run = await AdminJson.ReadAsync<PipelineRequest>(request).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException)
        {
            return Error(400, $"the body must be a pipeline request ({{\"modelName\", \"dataset\", ...}}): {ex.Message}");
        }

        try
        {
            var (id, started) = await PipelineEngine.StartAsync(client, run, workspace, request.HttpContext.RequestAborted).ConfigureAwait(false);
            return Json(202, new { id, started, statusUri = $"/api/pipelines/{id}", cancelUri = $"/api/pipelines/{id}/cancel" });
        }
        catch (Exception ex) when (ex is InvalidNameException or DatasetFormatException or InvalidPipelineRequestException or InvalidArtifactPathException)
        {
            return Error(400, ex.Message);
        }
        catch (ArtifactNotFoundException ex)
        {
            return Error(404, $"dataset not found: {ex.ArtifactPath}");
        }
    }

    /// <summary><c>GET /api/pipelines/{id}</c> (admin): state, progress (stage, epoch, latest metrics), result or failure.</summary>
    [Function(nameof(ApiRoutes.GetPipeline))]
    public static async Task<IActionResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.GetPipeline)] HttpRequest request, string id, [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var state = await client.GetInstanceAsync(id, getInputsAndOutputs: true, request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (state is null)
        {
            return Error(404, $"no pipeline run '{id}'");
        }

        return Json(200, StatusOf(state));
    }

    /// <summary>The most runs <c>GET /api/pipelines</c> lists (<c>?top=</c>, default 20).</summary>
    public const int MaxListed = 100;

    /// <summary>How far back <c>GET /api/pipelines</c> looks.</summary>
    public static readonly TimeSpan ListWindow = TimeSpan.FromDays(30);

    /// <summary>How many instances of the window <c>GET /api/pipelines</c> reads at most to find the newest.</summary>
    private const int MaxScanned = 2000;

    /// <summary>
    /// <c>GET /api/pipelines[?top=N]</c> (admin): the newest pipeline runs of the last 30 days, newest
    /// first, each as <c>GET /api/pipelines/{id}</c> answers it (uploads start runs too: this is where
    /// the console finds them).
    /// </summary>
    [Function(nameof(ApiRoutes.ListPipelines))]
    public static async Task<IActionResult> ListAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.ListPipelines)] HttpRequest request, [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        int top = 20;
        if (request.Query.TryGetValue("top", out var topText)
            && !(int.TryParse(topText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out top) && top is >= 1 and <= MaxListed))
        {
            return Error(400, $"top must be a whole number from 1 to {MaxListed}, not '{topText}'");
        }

        // The instance store is not ordered by time: read the window's metadata (bounded, without payloads),
        // keep the newest, and read the status and result of those alone.
        var query = new OrchestrationQuery { CreatedFrom = DateTimeOffset.UtcNow - ListWindow, FetchInputsAndOutputs = false, PageSize = 100 };
        var found = new List<OrchestrationMetadata>();
        int scanned = 0;
        await foreach (var state in client.GetAllInstancesAsync(query).WithCancellation(request.HttpContext.RequestAborted).ConfigureAwait(false))
        {
            if (state.Name == nameof(TrainingPipeline))
            {
                found.Add(state);
            }

            if (++scanned >= MaxScanned)
            {
                break;
            }
        }

        var newest = await Task.WhenAll(found.OrderByDescending(s => s.CreatedAt).Take(top)
            .Select(s => client.GetInstanceAsync(s.InstanceId, getInputsAndOutputs: true, request.HttpContext.RequestAborted))).ConfigureAwait(false);
        return Json(200, new { runs = newest.OfType<OrchestrationMetadata>().Select(StatusOf) }); // a run purged meanwhile is left out
    }

    private static PipelineRunStatus StatusOf(OrchestrationMetadata state) => PipelineRunStatus.From(state);

    /// <summary><c>POST /api/pipelines/{id}/cancel</c> (admin): stops the training job and ends the run as canceled.</summary>
    [Function(nameof(ApiRoutes.CancelPipeline))]
    public static async Task<IActionResult> CancelAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = ApiRoutes.CancelPipeline)] HttpRequest request, string id, [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var state = await client.GetInstanceAsync(id, getInputsAndOutputs: false, request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (state is null)
        {
            return Error(404, $"no pipeline run '{id}'");
        }

        if (state.IsCompleted)
        {
            return Error(409, $"pipeline run '{id}' has already ended ({state.RuntimeStatus})");
        }

        await client.RaiseEventAsync(id, TrainingPipeline.CancelEvent, "canceled over HTTP", request.HttpContext.RequestAborted).ConfigureAwait(false);
        return Json(202, new { id, canceling = true });
    }

    private static ContentResult Error(int status, string message) => AdminJson.Error(status, message);

    private static ContentResult Json<T>(int status, T value) => AdminJson.Json(status, value);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload {Model}/{File} is not a dataset archive; ignored")]
    private partial void LogIgnored(string model, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload {Model}/{File}: pipeline {InstanceId} (started now: {Started})")]
    private partial void LogStarted(string model, string file, string instanceId, bool started);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upload {Model}/{File} rejected")]
    private partial void LogRejected(Exception exception, string model, string file);
}
