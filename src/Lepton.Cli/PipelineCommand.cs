using System.CommandLine;
using System.Globalization;
using Lepton.CommandLine;
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
    public static Command Create(Option<string?> store)
    {
        var command = new Command("pipeline", "the training pipeline, here: prepare, train, evaluate, publish, promote");
        command.Subcommands.Add(Run(store));
        return command;
    }

    private static Command Run(Option<string?> store)
    {
        var run = new Command("run", "run the training pipeline on the in-process Durable Task engine with the local trainer");
        var options = new RunOptions(run);
        run.SetAction((result, _) => RunAsync(options.Request(result), result.GetValue(options.Work)!, result.GetValue(options.Plain), LeptonCommand.Registry(result, store), Console.Out));
        return run;
    }

    /// <summary>The request <c>lepton pipeline run</c> makes of these arguments (those after <c>run</c>); a usage mistake throws <see cref="UsageException"/>.</summary>
    public static PipelineRequest ParseRequest(IReadOnlyList<string> args)
    {
        var run = new Command("run");
        var options = new RunOptions(run);
        return CommandLineApp.Bind(run, args, options.Request);
    }

    public static async Task<int> RunAsync(PipelineRequest request, string workFolder, bool plain, ModelRegistry registry, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(output);
        RegistryNames.ValidateModelName(request.ModelName);
        if (request.Validate() is { Count: > 0 } problems)
        {
            throw new UsageException(string.Join("; ", problems));
        }

        string work = Path.GetFullPath(workFolder);
        var compute = new ProcessComputeTarget(TrainerCommand.Locate(), work);
        var workspace = new PipelineWorkspace(registry.Store, work);

        // Signals first: the engine's host would otherwise take SIGINT/SIGTERM and stop under our feet.
        using var signals = new ShutdownSignals(() => compute.StopAll(TimeSpan.FromSeconds(2)));

        // The engine's own hosts log every gRPC call at Information: keep them to warnings.
        Environment.SetEnvironmentVariable("ASPNETCORE_Logging__LogLevel__Default", "Warning");
        Environment.SetEnvironmentVariable("Logging__LogLevel__Default", "Warning");
        using var quiet = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true));
        var engine = await InProcessEngine.StartAsync(tasks => tasks.AddTrainingPipeline(registry, compute, workspace), quiet).ConfigureAwait(false);
        try
        {
            var client = engine.Client;
            var (id, started) = await PipelineEngine.StartAsync(client, request, workspace).ConfigureAwait(false);
            string sweep = request.Training.Sweep is { } s ? $", a sweep of {SweepPlan.Trials(request.Training).Count} trial(s)" : string.Empty;
            await output.WriteLineAsync($"pipeline {id}{(started ? string.Empty : " (already ran)")}: {request.Training.Architecture} on {request.Dataset}, {request.Training.Epochs} epoch(s){sweep}").ConfigureAwait(false);
            var view = PipelineProgressView.Create(plain, output);
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

        if (result.Sweep is { } sweep)
        {
            foreach (string line in PipelineProgressView.TrialsTable(sweep))
            {
                await output.WriteLineAsync(line).ConfigureAwait(false);
            }

            await output.WriteLineAsync($"best: trial {sweep.BestTrial} ({sweep.Best.Settings}), run {sweep.Best.RunId}").ConfigureAwait(false);
        }

        // A sweep's model is its best trial's: that run's epochs.
        string history = RunFolder.Under(work, result.Sweep?.Best.RunId ?? result.RunId).HistoryPath;
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

    /// <summary><c>pipeline run</c>'s options: the request's, the trainer's (<see cref="TrainingOptions"/>) and how to run it here.</summary>
    private sealed class RunOptions
    {
        private readonly Option<string> _name = CliOptions.Required("--name", "name", "the model's name");
        private readonly Option<string> _data = CliOptions.Required("--data", "folder|archive", "the dataset: a folder, or a .zip/.tar.gz/.tgz, of IDX files or class image folders");
        private readonly TrainingOptions _training = new(placement: false);
        private readonly Option<double> _minAccuracy = CliOptions.Number("--min-accuracy", "a classifier is promoted with at least this test accuracy (and not worse than production)", 0.0);
        private readonly Option<double?> _maxFrechet = CliOptions.Number("--max-frechet", "a generator is promoted with at most this Fréchet distance (and not above production's)", "none");
        private readonly Option<int> _attempts = CliOptions.Whole("--attempts", "training attempts; a failed one is resubmitted and resumes from its checkpoint", 3, 1, 20);

        public RunOptions(Command command)
        {
            command.Options.Add(_name);
            command.Options.Add(_data);
            _training.AddTo(command);
            command.Options.Add(_minAccuracy);
            command.Options.Add(_maxFrechet);
            command.Options.Add(_attempts);
            command.Options.Add(Work);
            command.Options.Add(Plain);
        }

        public Option<string> Work { get; } = CliOptions.Text("--work", "folder", "the run folders (runs/{id}: model, metrics, history, checkpoints)", ".lepton-runs");

        public Option<bool> Plain { get; } = CliOptions.Flag("--plain", "progress as lines, also in a terminal (as when stdout is not one)");

        public PipelineRequest Request(ParseResult result) => new()
        {
            ModelName = result.GetValue(_name)!,
            Dataset = result.GetValue(_data)!,
            Training = TrainingSpec(result),
            MinimumAccuracy = result.GetValue(_minAccuracy),
            MaximumFrechetDistance = result.GetValue(_maxFrechet),
            MaxTrainingAttempts = result.GetValue(_attempts),
            PollInterval = TimeSpan.FromSeconds(1),
        };

        /// <summary>The training job: <c>--spec</c> (a job spec file without data/output), with the trainer's options over it.</summary>
        private TrainingJobSpec TrainingSpec(ParseResult result)
        {
            string? path = result.GetValue(_training.Spec);
            string json = path is null ? "{}" : File.Exists(path) ? File.ReadAllText(path) : throw new UsageException($"--spec: file not found: {path}");
            TrainingJobSpec fromFile;
            try
            {
                fromFile = UploadSettings.Parse(json, path ?? "--spec").ApplyTo(new TrainingJobSpec());
            }
            catch (InvalidDataException ex)
            {
                throw new UsageException(ex.Message);
            }

            return _training.Bind(result, fromFile);
        }
    }
}
