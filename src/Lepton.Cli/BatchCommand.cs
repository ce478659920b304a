using System.CommandLine;
using Lepton.CommandLine;
using Lepton.Core.Registry;
using Lepton.Inference.Runtime;
using Lepton.Pipeline;
using Lepton.Pipeline.Batch;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Logging;

namespace Lepton.Cli;

/// <summary>
/// <c>lepton batch score NAME INPUT --out results.jsonl</c>: the batch scoring orchestration on the
/// in-process Durable Task engine, over the store. Chunks scored before an interruption are not scored
/// again when the same command runs again (their results are in the store).
/// </summary>
public static class BatchCommand
{
    public static Command Create(Option<string?> store)
    {
        var name = CliOptions.Positional<string>("name", "the model", ArgumentArity.ExactlyOne);
        var input = CliOptions.Positional<string>("input", "a folder or .zip of PNG or JPEG images, a table file (.csv, .tsv, .jsonl) of rows for a text or table model, or a stored batch/{model}/{file}", ArgumentArity.ExactlyOne);
        var output = CliOptions.Required("--out", "results.jsonl", "where the results go: one JSON line per input (input, label, probability, top; or error)");
        var version = CliOptions.Whole("--version", "a version", "the alias's", 1);
        var alias = CliOptions.Optional("--alias", "alias", "an alias, when no --version", "production, else the latest version");
        var chunk = CliOptions.Whole("--chunk-size", "images per chunk (one activity each)", BatchRequest.DefaultChunkSize, 1, BatchRequest.MaxChunkSize);
        var concurrent = CliOptions.Whole("--max-concurrent", "chunks scored at once", InProcessEngine.UnthrottledActivities, 1, 64);
        var work = CliOptions.Text("--work", "folder", "downloads of stored inputs", ".lepton-runs");
        var score = new Command("score", "score every image of a folder or archive (or every row of a table file) with a model, in chunks, resumably") { name, input, output, version, alias, chunk, concurrent, work };
        score.SetAction(async (result, _) => await RunAsync(
            new BatchRequest(result.GetValue(name)!, result.GetValue(input)!, result.GetValue(version), result.GetValue(alias), result.GetValue(chunk), result.GetValue(concurrent)),
            result.GetValue(output)!, result.GetValue(work)!, LeptonCommand.Registry(result, store), Console.Out).ConfigureAwait(false));
        return new Command("batch", "score many inputs at once") { score };
    }

    public static async Task<int> RunAsync(BatchRequest request, string outPath, string workFolder, ModelRegistry registry, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(output);
        if (request.Validate() is { Count: > 0 } problems)
        {
            throw new UsageException(string.Join("; ", problems));
        }

        var workspace = new PipelineWorkspace(registry.Store, Path.GetFullPath(workFolder));
        using var runtime = new ModelRuntime(registry, new InferenceOptions());
        Environment.SetEnvironmentVariable("ASPNETCORE_Logging__LogLevel__Default", "Warning");
        Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");
        using var quiet = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true));
        await using var engine = await InProcessEngine.StartAsync(tasks => tasks.AddBatchScoring(registry, workspace, runtime), quiet).ConfigureAwait(false);
        var (id, started) = await BatchEngine.StartAsync(engine.Client, request, workspace).ConfigureAwait(false);
        await output.WriteLineAsync($"batch {id}{(started ? string.Empty : " (already ran)")}: {request.Input} with {request.ModelName}").ConfigureAwait(false);
        var state = await engine.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true).ConfigureAwait(false);
        if (state.RuntimeStatus != OrchestrationRuntimeStatus.Completed || state.ReadOutputAs<BatchSummary>() is not { } summary)
        {
            await Console.Error.WriteLineAsync($"lepton: batch failed: {state.FailureDetails?.ErrorMessage ?? state.RuntimeStatus.ToString()}").ConfigureAwait(false);
            return 1;
        }

        await using (var results = await registry.Store.OpenReadAsync(summary.Results).ConfigureAwait(false))
        await using (var file = File.Create(outPath))
        {
            await results.CopyToAsync(file).ConfigureAwait(false);
        }

        await output.WriteLineAsync($"{summary.Scored} of {summary.Inputs} inputs scored by {summary.ModelName} version {summary.Version}, {summary.Failures.Count} failed; results in {outPath}").ConfigureAwait(false);
        foreach (var failure in summary.Failures.Take(10))
        {
            await output.WriteLineAsync($"  {failure.Input}: {failure.Reason}").ConfigureAwait(false);
        }

        return 0;
    }
}
