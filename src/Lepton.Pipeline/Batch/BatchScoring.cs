using System.Security.Cryptography;
using System.Text;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Inference.Runtime;
using Lepton.Pipeline.Orchestration;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Lepton.Pipeline.Batch;

/// <summary>How far a batch job is (its custom status).</summary>
public sealed record BatchJobProgress(int Version, int Inputs, int Chunks, int ChunksDone);

/// <summary>
/// Batch scoring: plan (the version production points to now, the input pinned and counted), fan out one activity
/// per chunk with at most <see cref="BatchRequest.MaxConcurrentChunks"/> at once, fan in, merge. A chunk
/// scored before a crash is not scored again (its results are in the store); the merged results hold every
/// input once.
/// </summary>
public sealed class BatchScoring : TaskOrchestrator<BatchRequest, BatchSummary>
{
    private static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(3, TimeSpan.FromSeconds(1), 2.0));

    public override async Task<BatchSummary> RunAsync(TaskOrchestrationContext context, BatchRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        if (input.Validate() is { Count: > 0 } problems)
        {
            throw new PipelineFailedException($"invalid batch request: {string.Join("; ", problems)}");
        }

        BatchPlan plan;
        try
        {
            plan = await context.CallActivityAsync<BatchPlan>(nameof(PlanBatchActivity), new PlanBatchInput(context.InstanceId, input)).ConfigureAwait(true);
        }
        catch (TaskFailedException ex)
        {
            throw new PipelineFailedException($"batch input rejected: {ex.FailureDetails.ErrorMessage}");
        }

        var all = new List<Task<BatchChunkResult>>();
        var running = new List<Task<BatchChunkResult>>();
        int done = 0;
        context.SetCustomStatus(new BatchJobProgress(plan.Version, plan.Inputs, plan.Chunks, 0));
        for (int i = 0; i < plan.Chunks; i++)
        {
            if (running.Count >= input.MaxConcurrentChunks)
            {
                var finished = await Task.WhenAny(running).ConfigureAwait(true);
                running.Remove(finished);
                context.SetCustomStatus(new BatchJobProgress(plan.Version, plan.Inputs, plan.Chunks, ++done));
            }

            var chunk = context.CallActivityAsync<BatchChunkResult>(nameof(ScoreBatchChunkActivity), new BatchChunkInput(plan, i), Retry);
            all.Add(chunk);
            running.Add(chunk);
        }

        var results = await Task.WhenAll(all).ConfigureAwait(true);
        context.SetCustomStatus(new BatchJobProgress(plan.Version, plan.Inputs, plan.Chunks, plan.Chunks));
        return await context.CallActivityAsync<BatchSummary>(nameof(MergeBatchActivity), new MergeBatchInput(plan, results), Retry).ConfigureAwait(true);
    }
}

/// <summary>Registers batch scoring with a Durable Task worker and starts jobs.</summary>
public static class BatchEngine
{
    public static DurableTaskRegistry AddBatchScoring(this DurableTaskRegistry tasks, ModelRegistry registry, PipelineWorkspace workspace, ModelRuntime runtime)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(registry);
        tasks.AddOrchestrator<BatchScoring>();
        tasks.AddActivity(nameof(PlanBatchActivity), new PlanBatchActivity(runtime, workspace));
        tasks.AddActivity(nameof(ScoreBatchChunkActivity), new ScoreBatchChunkActivity(runtime, workspace));
        tasks.AddActivity(nameof(MergeBatchActivity), new MergeBatchActivity(registry.Store));
        return tasks;
    }

    /// <summary>The job's instance id: the model and a hash of the request, so the same job again is the same instance (and reuses its chunks).</summary>
    public static string InstanceId(BatchRequest request, string inputIdentity)
    {
        ArgumentNullException.ThrowIfNull(request);
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(inputIdentity + "\n" + LeptonJson.Serialize(request))))[..24];
        return $"{request.ModelName}-batch-{hash}";
    }

    /// <summary>Starts the job unless the same one runs or has finished; returns its id and whether it started now.</summary>
    public static async Task<(string InstanceId, bool Started)> StartAsync(DurableTaskClient client, BatchRequest request, PipelineWorkspace workspace, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(workspace);
        if (request.Validate() is { Count: > 0 } problems)
        {
            throw new InvalidPipelineRequestException($"invalid batch request: {string.Join("; ", problems)}");
        }

        string identity = BatchPaths.IsStoredInput(request.Input)
            ? $"{request.Input}@{(await workspace.Store.GetInfoAsync(request.Input, cancellationToken).ConfigureAwait(false) ?? throw new Core.Storage.ArtifactNotFoundException(request.Input)).ETag}"
            : await PipelineEngine.DatasetIdentityAsync(workspace, request.Input, cancellationToken).ConfigureAwait(false);
        string id = InstanceId(request, identity);
        return (id, await PipelineEngine.StartOnceAsync(client, nameof(BatchScoring), request, id, cancellationToken).ConfigureAwait(false));
    }
}
