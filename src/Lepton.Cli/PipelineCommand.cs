using System.Globalization;
using System.Text.Json.Nodes;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Pipeline;
using Lepton.Pipeline.Compute;
using Lepton.Pipeline.Orchestration;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Logging;

namespace Lepton.Cli;

/// <summary>
/// <c>lepton pipeline run</c>: the training pipeline's orchestrator on the in-process Durable Task
/// engine, training with the local trainer process, publishing to the store. SIGINT (Ctrl-C) or SIGTERM
/// stops the trainer and exits with 130 or 143 within seconds; the trainer also stops by itself when
/// this process dies (even by SIGKILL). Exit code 0 only when a version was published.
/// </summary>
public static class PipelineCommand
{
    /// <summary>The trainer's options (docs/job-spec.md) the pipeline passes on, by their job spec field; each is checked when the request is.</summary>
    private static readonly Dictionary<string, (string Field, Func<string, JsonNode?> Parse)> TrainingOptions = new(StringComparer.Ordinal)
    {
        ["--arch"] = ("architecture", v => JsonValue.Create(v)),
        ["--epochs"] = ("epochs", Whole),
        ["--batch-size"] = ("batchSize", Whole),
        ["--lr"] = ("learningRate", Real),
        ["--seed"] = ("seed", Whole),
        ["--train-limit"] = ("trainLimit", Whole),
        ["--test-limit"] = ("testLimit", Whole),
        ["--validation"] = ("validationFraction", Real),
        ["--patience"] = ("patience", Whole),
        ["--threads"] = ("threads", Whole),
        ["--augment"] = ("augment", v => v is "true" or "false" ? JsonValue.Create(v == "true") : throw new UsageException($"--augment takes true or false, not '{v}'")),
        ["--schedule"] = ("schedule", v => JsonValue.Create(v)),
        ["--device"] = ("device", v => JsonValue.Create(v)),
        ["--hidden-size"] = ("hiddenSize", Whole),
        ["--latent-size"] = ("latentSize", Whole),
        ["--class"] = ("class", v => JsonValue.Create(v)),
        ["--labels"] = ("labels", v => new JsonArray(v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(l => (JsonNode?)JsonValue.Create(l)).ToArray())),
    };

    private static readonly HashSet<string> Options =
    [
        "--name", "--data", "--spec", "--min-accuracy", "--max-frechet", "--work", "--attempts", .. TrainingOptions.Keys,
    ];

    public static async Task<int> RunAsync(IReadOnlyList<string> rest, ModelRegistry registry, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(rest);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(output);
        if (rest.Count == 0 || rest[0] != "run")
        {
            throw new UsageException("usage: pipeline run --name N --data <folder or archive> [--spec job.json] [--arch cnn] [--epochs 5] [--train-limit K] [trainer options: docs/job-spec.md] [--min-accuracy 0.85] [--max-frechet D] [--plain]");
        }

        var args = new CliArgs(rest.Skip(1).ToArray(), Options, new HashSet<string> { "--plain" });
        var request = new PipelineRequest
        {
            ModelName = args.Require("--name"),
            Dataset = args.Require("--data"),
            Training = TrainingSpec(args),
            MinimumAccuracy = Number(args, "--min-accuracy") ?? 0.0,
            MaximumFrechetDistance = Number(args, "--max-frechet"),
            MaxTrainingAttempts = args.GetInt("--attempts", 1, 20) ?? 3,
            PollInterval = TimeSpan.FromSeconds(1),
        };
        RegistryNames.ValidateModelName(request.ModelName);
        if (request.Validate() is { Count: > 0 } problems)
        {
            throw new UsageException(string.Join("; ", problems));
        }

        string work = Path.GetFullPath(args.Get("--work") ?? ".lepton-runs");
        var compute = new ProcessComputeTarget(TrainerCommand.Locate(), work);
        var workspace = new PipelineWorkspace(registry.Store, work);

        // Signals first: the engine's host would otherwise take SIGINT/SIGTERM and stop under our feet.
        using var signals = new ShutdownSignals(() => compute.StopAll(TimeSpan.FromSeconds(2)));

        // The engine's own hosts log every gRPC call at Information: keep them to warnings.
        Environment.SetEnvironmentVariable("ASPNETCORE_Logging__LogLevel__Default", "Warning");
        Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");
        using var quiet = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true));
        var engine = await DurableTaskTestHost.StartAsync(
            tasks => tasks.AddTrainingPipeline(registry, compute, workspace),
            new DurableTaskTestHostOptions { LoggerFactory = quiet }).ConfigureAwait(false);
        try
        {
            var client = engine.Client;
            var (id, started) = await PipelineEngine.StartAsync(client, request, workspace).ConfigureAwait(false);
            await output.WriteLineAsync($"pipeline {id}{(started ? string.Empty : " (already ran)")}: {request.Training.Architecture} on {request.Dataset}, {request.Training.Epochs} epoch(s)").ConfigureAwait(false);
            var view = PipelineProgressView.Create(args.Has("--plain"), output);
            var state = await view.RunAsync(v => FollowAsync(client, id, work, v, signals.Token)).ConfigureAwait(false);
            if (state is not null)
            {
                return await ReportAsync(state, work, view, output).ConfigureAwait(false);
            }

            // SIGINT or SIGTERM: stop the trainer ourselves (the engine may already be stopping), tell
            // the orchestration if it still listens, and end non-zero.
            await output.WriteLineAsync($"{signals.Signal}: canceling (stopping the trainer)...").ConfigureAwait(false);
            compute.StopAll(TimeSpan.FromSeconds(5));
            try
            {
                await client.RaiseEventAsync(id, TrainingPipeline.CancelEvent, "interrupted").WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or InvalidOperationException or Grpc.Core.RpcException)
            {
                // the engine is already stopping; the trainer is stopped either way
            }

            await Console.Error.WriteLineAsync($"lepton: pipeline canceled ({signals.Signal}); the trainer is stopped, a re-run resumes from its last checkpoint").ConfigureAwait(false);
            return signals.ExitCode;
        }
        finally
        {
            try
            {
                await engine.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(3)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or InvalidOperationException or Grpc.Core.RpcException)
            {
                // a host stopped by the signal may not stop twice cleanly; the process ends anyway
            }
        }
    }

    /// <summary>
    /// Shows progress until the run completes (its state) or a signal arrives (null): the orchestration's
    /// stage and epoch, and the trainer's batch progress from its status.json in the run folder.
    /// </summary>
    private static async Task<OrchestrationMetadata?> FollowAsync(DurableTaskClient client, string id, string work, PipelineProgressView view, CancellationToken signaled)
    {
        try
        {
            while (true)
            {
                var state = await client.GetInstanceAsync(id, getInputsAndOutputs: true, signaled).ConfigureAwait(false);
                var progress = state?.ReadCustomStatusAs<PipelineProgress>();
                // The run folder is known once the data is prepared (the run id names the data and settings).
                var trainer = progress?.RunId is { } runId ? ReadTrainerStatus(RunFolder.Under(work, runId).Path) : null;
                await view.UpdateAsync(new PipelineSnapshot(progress, trainer)).ConfigureAwait(false);

                if (state is { IsCompleted: true })
                {
                    return state;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), signaled).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (signaled.IsCancellationRequested && ex is OperationCanceledException or Grpc.Core.RpcException)
        {
            return null;
        }
    }

    /// <summary>The trainer's status.json, or null while there is none (or it is being replaced).</summary>
    private static TrainingStatus? ReadTrainerStatus(string runFolder)
    {
        string path = new RunFolder(runFolder).StatusPath;
        try
        {
            return File.Exists(path) ? LeptonJson.ReadFile<TrainingStatus>(path) : null;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static async Task<int> ReportAsync(OrchestrationMetadata state, string work, PipelineProgressView view, TextWriter output)
    {
        if (state.RuntimeStatus != OrchestrationRuntimeStatus.Completed)
        {
            await Console.Error.WriteLineAsync($"lepton: pipeline {state.RuntimeStatus.ToString().ToLowerInvariant()}: {state.FailureDetails?.ErrorMessage}").ConfigureAwait(false);
            return 1;
        }

        var result = state.ReadOutputAs<PipelineResult>()!;
        if (result.Outcome == PipelineOutcome.AlreadyPublished)
        {
            await output.WriteLineAsync($"already published: {result.Reason}").ConfigureAwait(false);
            return 0;
        }

        string history = RunFolder.Under(work, result.RunId).HistoryPath;
        if (File.Exists(history))
        {
            await view.SummaryAsync(LeptonJson.ReadFile<TrainingHistory>(history)).ConfigureAwait(false);
        }

        if (result.Outcome != PipelineOutcome.Published)
        {
            await Console.Error.WriteLineAsync($"lepton: pipeline {result.Reason}").ConfigureAwait(false);
            return 1;
        }

        string quality = result.FrechetDistance is double frechet
            ? string.Create(CultureInfo.InvariantCulture, $"Fréchet distance {frechet:F2}")
            : string.Create(CultureInfo.InvariantCulture, $"test accuracy {result.Accuracy:F4} (ONNX Runtime)");
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"published {result.ModelName} version {result.Version}: {quality}, dataset {result.DatasetVersion[..12]}, {result.TrainingAttempts} training attempt(s)")).ConfigureAwait(false);
        await output.WriteLineAsync($"{(result.Promoted ? "promoted to production" : "not promoted")}: {result.Reason}").ConfigureAwait(false);
        return 0;
    }

    /// <summary>The training job: <c>--spec</c> (a job spec file without data/output), with the trainer's options over it.</summary>
    private static TrainingJobSpec TrainingSpec(CliArgs args)
    {
        string json = "{}";
        if (args.Get("--spec") is { } path)
        {
            json = File.Exists(path) ? File.ReadAllText(path) : throw new UsageException($"--spec: file not found: {path}");
        }

        var overlay = new JsonObject();
        foreach (var (option, (field, parse)) in TrainingOptions)
        {
            if (args.Get(option) is { } value)
            {
                overlay[field] = parse(value);
            }
        }

        try
        {
            var fromFile = UploadSettings.Parse(json, args.Get("--spec") ?? "--spec");
            var fromOptions = UploadSettings.Parse(overlay.ToJsonString(), "options");
            return fromOptions.ApplyTo(fromFile.ApplyTo(new TrainingJobSpec()));
        }
        catch (InvalidDataException ex)
        {
            throw new UsageException(ex.Message);
        }
    }

    private static JsonValue Whole(string raw) =>
        int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? JsonValue.Create(value) : throw new UsageException($"'{raw}' is not a whole number");

    private static JsonValue Real(string raw) =>
        double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? JsonValue.Create(value) : throw new UsageException($"'{raw}' is not a number");

    private static double? Number(CliArgs args, string name)
    {
        string? raw = args.Get(name);
        if (raw is null)
        {
            return null;
        }

        return double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new UsageException($"{name} takes a number, not '{raw}'");
    }
}
