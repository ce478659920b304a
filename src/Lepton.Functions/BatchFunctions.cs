using System.Text.Json;
using Azure.Storage.Blobs;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Http;
using Lepton.Pipeline;
using Lepton.Pipeline.Batch;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Lepton.Functions;

/// <summary>
/// Batch scoring in Azure Functions: the orchestration and its activities as Durable Functions over the
/// host-neutral code in Lepton.Pipeline, the admin routes that start and watch a job, and the blob trigger
/// that starts a job for each upload to <c>batch/{model}/{file}</c>.
/// </summary>
public sealed partial class BatchFunctions(PlanBatchActivity plan, ScoreBatchChunkActivity score, MergeBatchActivity merge, PipelineWorkspace workspace, ILogger<BatchFunctions> logger)
{
    public const string UploadPath = BatchPaths.Container + "/{model}/{file}";

    [Function(nameof(BatchScoring))]
    public static Task<BatchSummary> OrchestrateAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new BatchScoring().RunAsync(context, context.GetInput<BatchRequest>()!);
    }

    [Function(nameof(PlanBatchActivity))]
    public Task<BatchPlan> PlanAsync([ActivityTrigger] PlanBatchInput input) => plan.ExecuteAsync(input);

    [Function(nameof(ScoreBatchChunkActivity))]
    public Task<BatchChunkResult> ScoreAsync([ActivityTrigger] BatchChunkInput input) => score.ExecuteAsync(input);

    [Function(nameof(MergeBatchActivity))]
    public Task<BatchSummary> MergeAsync([ActivityTrigger] MergeBatchInput input) => merge.ExecuteAsync(input);

    /// <summary>
    /// An upload in Azure (Event Grid, as for datasets; the postdeploy hook subscribes it to BlobCreated in
    /// <c>batch</c>). A job's own files in the container (its results) are not uploads and are ignored.
    /// Locally, src/Lepton.Functions.Local scans the container instead.
    /// </summary>
    [Function("BatchUploaded")]
    public Task BatchUploadedAsync(
        [BlobTrigger(UploadPath, Source = BlobTriggerSource.EventGrid, Connection = "AzureWebJobsStorage")] BlobClient blob,
        string model, string file, [DurableClient] DurableTaskClient client) =>
        StartForUploadAsync(model, file, client);

    /// <summary>Starts (once per upload content) the batch job of an upload; its id, or null when the file is not a job's input or was refused.</summary>
    public async Task<string?> StartForUploadAsync(string model, string file, DurableTaskClient client, CancellationToken cancellationToken = default)
    {
        var run = await BatchUploads.StartAsync(client, workspace, model, file, cancellationToken).ConfigureAwait(false);
        if (run is null)
        {
            LogIgnored(model, file);
        }
        else if (run.Error is not null)
        {
            LogRejected(model, file, run.Error);
        }
        else
        {
            LogStarted(model, file, run.InstanceId!, run.Started);
        }

        return run?.InstanceId;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Blob batch/{Model}/{File} is not a batch input; ignored")]
    private partial void LogIgnored(string model, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload batch/{Model}/{File}: batch job {InstanceId} (started now: {Started})")]
    private partial void LogStarted(string model, string file, string instanceId, bool started);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upload batch/{Model}/{File} rejected: {Reason}")]
    private partial void LogRejected(string model, string file, string reason);

    /// <summary>The body of <c>POST /api/models/{name}/batch</c>.</summary>
    public sealed record StartBody(string? Input, int? Version, string? Alias, int? ChunkSize, int? MaxConcurrentChunks);

    /// <summary><c>POST /api/models/{name}/batch</c> (admin) with <c>{"input": "batch/{name}/file.zip"}</c> (or a table file): starts a job, 202 with its status URL.</summary>
    [Function(nameof(ApiRoutes.StartBatch))]
    public async Task<IActionResult> StartAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = ApiRoutes.StartBatch)] HttpRequest request, string name, [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        StartBody body;
        try
        {
            body = await AdminJson.ReadAsync<StartBody>(request).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            return AdminJson.Error(400, $"the body must be {{\"input\": \"batch/{{model}}/{{file}}\", ...}}: {ex.Message}");
        }

        if (body.Input is not { } input || !BatchPaths.IsStoredInput(input))
        {
            return AdminJson.Error(400, $"input must be a stored file under {BatchPaths.Container}/ (upload a .zip of pictures or a table file of rows to {BatchPaths.Container}/{name}/{{file}})");
        }

        var batch = new BatchRequest(name, input, body.Version, body.Alias, body.ChunkSize ?? BatchRequest.DefaultChunkSize, body.MaxConcurrentChunks ?? 2);
        try
        {
            var (id, started) = await BatchEngine.StartAsync(client, batch, workspace, request.HttpContext.RequestAborted).ConfigureAwait(false);
            return AdminJson.Json(202, new { id, started, statusUri = $"/api/batches/{id}" });
        }
        catch (Exception ex) when (ex is InvalidPipelineRequestException or InvalidNameException or InvalidArtifactPathException)
        {
            return AdminJson.Error(400, ex.Message);
        }
        catch (ArtifactNotFoundException ex)
        {
            return AdminJson.Error(404, $"input not found: {ex.ArtifactPath}");
        }
    }

    /// <summary><c>GET /api/batches/{id}</c> (admin): state, progress, summary or failure.</summary>
    [Function(nameof(ApiRoutes.GetBatch))]
    public static async Task<IActionResult> GetAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.GetBatch)] HttpRequest request, string id, [DurableClient] DurableTaskClient client)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(client);
        var state = await client.GetInstanceAsync(id, getInputsAndOutputs: true, request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (state is null || state.Name != nameof(BatchScoring))
        {
            return AdminJson.Error(404, $"no batch job '{id}'");
        }

        return AdminJson.Json(200, new
        {
            id,
            status = state.RuntimeStatus,
            progress = state.ReadCustomStatusAs<BatchJobProgress>(),
            summary = state.RuntimeStatus == OrchestrationRuntimeStatus.Completed ? state.ReadOutputAs<BatchSummary>() : null,
            failure = state.RuntimeStatus == OrchestrationRuntimeStatus.Failed ? state.FailureDetails?.ErrorMessage ?? state.SerializedOutput : null,
        });
    }
}
