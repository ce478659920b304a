using System.Text.Json;
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

namespace Lepton.Functions;

/// <summary>
/// Batch scoring in Azure Functions: the orchestration and its activities as Durable Functions over the
/// host-neutral code in Lepton.Pipeline, and the admin routes that start and watch a job.
/// </summary>
public sealed class BatchFunctions(PlanBatchActivity plan, ScoreBatchChunkActivity score, MergeBatchActivity merge, PipelineWorkspace workspace)
{
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

    /// <summary>The body of <c>POST /api/models/{name}/batch</c>.</summary>
    public sealed record StartBody(string? Input, int? Version, string? Alias, int? ChunkSize, int? MaxConcurrentChunks);

    /// <summary><c>POST /api/models/{name}/batch</c> (admin) with <c>{"input": "batch/{name}/file.zip"}</c>: starts a job, 202 with its status URL.</summary>
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
            return AdminJson.Error(400, $"the body must be {{\"input\": \"batch/{{model}}/{{file}}.zip\", ...}}: {ex.Message}");
        }

        if (body.Input is not { } input || !BatchPaths.IsStoredInput(input))
        {
            return AdminJson.Error(400, $"input must be a stored archive under {BatchPaths.Container}/ (upload it to {BatchPaths.Container}/{name}/{{file}}.zip)");
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
