using System.Text;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Lepton.Pipeline.Activities;

namespace Lepton.Pipeline.Batch;

/// <summary>Input of <see cref="PlanBatchActivity"/>.</summary>
public sealed record PlanBatchInput(string JobId, BatchRequest Request);

/// <summary>
/// Resolves the version (what the alias points to now), pins the input (a stored file's ETag), counts its
/// inputs and checks that the model takes them (pictures for an image classifier; for a text or table
/// classifier, a table file with its text column or its columns). Nothing is copied: chunks are ranges
/// of the input, scored where it is.
/// </summary>
public sealed class PlanBatchActivity(ModelRuntime runtime, PipelineWorkspace workspace) : PipelineActivity<PlanBatchInput, BatchPlan>
{
    public override async Task<BatchPlan> ExecuteAsync(PlanBatchInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var request = input.Request;
        int version = await runtime.ResolveAsync(request.ModelName, request.Version, request.Alias).ConfigureAwait(false);
        string? etag = null;
        string local = request.Input;
        if (BatchPaths.IsStoredInput(request.Input))
        {
            etag = (await workspace.Store.GetInfoAsync(request.Input).ConfigureAwait(false) ?? throw new ArtifactNotFoundException(request.Input)).ETag;
            local = await workspace.DownloadToWorkAsync(request.Input, etag).ConfigureAwait(false);
        }

        var inputs = BatchInputs.Open(local, input.JobId);
        await runtime.UseAsync(request.ModelName, version, model =>
        {
            BatchScorer.Check(model, inputs);
            return Task.FromResult(0);
        }).ConfigureAwait(false);
        return new BatchPlan(input.JobId, request.ModelName, version, inputs.Kind, request.Input, etag, inputs.Count, request.ChunkSize);
    }
}

/// <summary>
/// Scores one chunk (a range of the plan's inputs, read in place) with <see cref="BatchScorer"/>; an input
/// that cannot be scored is a line with its error, never the chunk's failure. The chunk's results are
/// written once (create-only): a chunk scored before a crash is read back, not scored again.
/// </summary>
public sealed class ScoreBatchChunkActivity(ModelRuntime runtime, PipelineWorkspace workspace) : PipelineActivity<BatchChunkInput, BatchChunkResult>
{
    /// <summary>The classes each line lists.</summary>
    public const int TopK = BatchScorer.TopK;

    public override async Task<BatchChunkResult> ExecuteAsync(BatchChunkInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var plan = input.Plan;
        var store = workspace.Store;
        string resultsPath = BatchPaths.ChunkResults(plan.JobId, input.Index);
        if (await store.ReadAsync(resultsPath).ConfigureAwait(false) is { } done)
        {
            return Summarize(input.Index, done.Data.ToString()) with { Kept = true };
        }

        string local = plan.InputETag is { } etag ? await workspace.DownloadToWorkAsync(plan.Input, etag).ConfigureAwait(false) : plan.Input;
        var inputs = BatchInputs.Open(local, plan.JobId);
        if (inputs.Count != plan.Inputs)
        {
            throw new InvalidOperationException($"the input has {inputs.Count} inputs now, {plan.Inputs} when the job was planned: it changed while the job ran");
        }

        int start = input.Index * plan.ChunkSize;
        int count = Math.Min(plan.ChunkSize, plan.Inputs - start);
        var lines = await runtime.UseAsync(plan.ModelName, plan.Version, model => BatchScorer.ScoreAsync(model, inputs, start, count, runtime.Options)).ConfigureAwait(false);
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(System.Text.Json.JsonSerializer.Serialize(line, JsonLines)).Append('\n');
        }

        string written = text.ToString();
        try
        {
            await store.WriteAsync(resultsPath, new MemoryStream(Encoding.UTF8.GetBytes(written)), WriteCondition.IfNotExists).ConfigureAwait(false);
        }
        catch (ArtifactConflictException)
        {
            written = (await store.ReadAsync(resultsPath).ConfigureAwait(false))!.Data.ToString(); // another attempt finished first: its lines stand
        }

        return Summarize(input.Index, written);
    }

    /// <summary>Compact JSON lines, nulls left out.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions JsonLines = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Counts of a chunk's lines.</summary>
    public static BatchChunkResult Summarize(int index, string jsonLines)
    {
        var perLabel = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var failures = new List<BatchFailure>();
        int scored = 0;
        foreach (string text in jsonLines.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var line = System.Text.Json.JsonSerializer.Deserialize<BatchResultLine>(text, JsonLines)!;
            if (line.Error is not null)
            {
                failures.Add(new BatchFailure(line.Input, line.Error));
                continue;
            }

            scored++;
            perLabel[line.Label!] = perLabel.GetValueOrDefault(line.Label!) + 1;
        }

        return new BatchChunkResult(index, scored, perLabel, failures);
    }
}

/// <summary>Input of <see cref="MergeBatchActivity"/>.</summary>
public sealed record MergeBatchInput(BatchPlan Plan, IReadOnlyList<BatchChunkResult> Chunks);

/// <summary>Writes <c>results.jsonl</c> (the chunks' lines in order: every input once) and <c>summary.json</c>.</summary>
public sealed class MergeBatchActivity(IArtifactStore store) : PipelineActivity<MergeBatchInput, BatchSummary>
{
    public override async Task<BatchSummary> ExecuteAsync(MergeBatchInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var plan = input.Plan;
        using var merged = new MemoryStream();
        for (int i = 0; i < plan.Chunks; i++)
        {
            await using var part = await store.OpenReadAsync(BatchPaths.ChunkResults(plan.JobId, i)).ConfigureAwait(false);
            await part.CopyToAsync(merged).ConfigureAwait(false);
        }

        merged.Position = 0;
        await store.WriteAsync(BatchPaths.Results(plan.JobId), merged).ConfigureAwait(false);
        var perLabel = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (label, count) in input.Chunks.SelectMany(c => c.PerLabel))
        {
            perLabel[label] = perLabel.GetValueOrDefault(label) + count;
        }

        var summary = new BatchSummary(plan.JobId, plan.ModelName, plan.Version, plan.Inputs, input.Chunks.Sum(c => c.Scored), perLabel,
            [.. input.Chunks.OrderBy(c => c.Index).SelectMany(c => c.Failures)], BatchPaths.Results(plan.JobId), plan.Chunks, input.Chunks.Count(c => c.Kept));
        await store.WriteAsync(BatchPaths.Summary(plan.JobId), new MemoryStream(Encoding.UTF8.GetBytes(LeptonJson.Serialize(summary)))).ConfigureAwait(false);
        return summary;
    }
}
