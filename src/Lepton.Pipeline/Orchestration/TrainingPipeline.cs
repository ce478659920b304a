using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Lepton.Core.Contracts;
using Lepton.Pipeline.Activities;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Lepton.Pipeline.Orchestration;

/// <summary>A run that cannot go on; the orchestration fails with this message.</summary>
public sealed class PipelineFailedException(string message) : Exception(message);

/// <summary>
/// The training pipeline: prepare the dataset, submit training, poll it with durable timers (progress in
/// the custom status), resubmit a failed job (it resumes from its checkpoint) within the attempt budget,
/// evaluate the exported model with ONNX Runtime, publish it, and promote it when it earns it (a spec
/// with a sweep trains its trials instead, <see cref="TrainingSweep"/>, and publishes the best). A
/// "cancel" event stops the job and ends the run as canceled. Deterministic: time and ids come from the
/// context; activities do all I/O; only references travel between them.
/// </summary>
public sealed class TrainingPipeline : TaskOrchestrator<PipelineRequest, PipelineResult>
{
    public const string CancelEvent = "cancel";

    private static TaskOptions Retry => TrainingAttempts.Retry;

    public override async Task<PipelineResult> RunAsync(TaskOrchestrationContext context, PipelineRequest input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var request = input;
        var log = context.CreateReplaySafeLogger<TrainingPipeline>();
        int epochs = request.Training?.Epochs ?? 0;
        var problems = request.Validate();
        if (problems.Count > 0)
        {
            throw new PipelineFailedException($"invalid pipeline request: {string.Join("; ", problems)}");
        }

        log.Stage(context.InstanceId, request.ModelName, "preparing");
        context.SetCustomStatus(new PipelineProgress(PipelineStage.Preparing, 0, 0, epochs, null, null));
        PreparedDataset dataset;
        try
        {
            dataset = await context.CallActivityAsync<PreparedDataset>(nameof(PrepareDatasetActivity), request).ConfigureAwait(true);
        }
        catch (TaskFailedException ex)
        {
            throw new PipelineFailedException($"dataset rejected: {ex.FailureDetails.ErrorMessage}");
        }

        // --arch auto becomes the family for the data; a family that cannot read it stops the run here.
        try
        {
            request = request with { Training = request.Training! with { Architecture = KnownArchitectures.Resolve(request.Training!.Architecture, dataset.Kind) } };
        }
        catch (ArgumentException ex)
        {
            throw new PipelineFailedException($"dataset rejected: {ex.Message}");
        }

        // The run is named by what it trains on and how: the same data and settings are the same run, and a
        // run publishes at most one version, whichever instance started it.
        string runId = RunId(request, dataset.Version);
        var earlier = await context.CallActivityAsync<PublishedVersion?>(nameof(FindPublishedActivity), new FindPublishedInput(request.ModelName, runId), Retry).ConfigureAwait(true);
        if (earlier is not null)
        {
            string same = $"version {earlier.Version} was published from the same data and settings (run {runId}); nothing trained";
            context.SetCustomStatus(new PipelineProgress(PipelineStage.Done, 0, 0, epochs, null, same) { RunId = runId, Skipped = Listed(dataset.Skipped), TestAccuracy = earlier.Accuracy });
            return await RecordAsync(context, new PipelineResult(PipelineOutcome.AlreadyPublished, request.ModelName, earlier.Version, earlier.Accuracy, false, same, dataset.Version, runId, 0)
            {
                FrechetDistance = earlier.FrechetDistance,
            }).ConfigureAwait(true);
        }

        var cancel = context.WaitForExternalEvent<string>(CancelEvent);
        if (request.Training!.Sweep is not null)
        {
            return await TrainingSweep.RunAsync(context, request, dataset, runId, cancel, log).ConfigureAwait(true);
        }

        var trained = await TrainingAttempts.RunAsync(context, request, dataset, runId, cancel, (attempt, polled) =>
            context.SetCustomStatus(new PipelineProgress(PipelineStage.Training, attempt, polled?.Epoch ?? 0, epochs, polled?.ValidationAccuracy, polled?.Message) { RunId = runId, Skipped = Listed(dataset.Skipped) }), log).ConfigureAwait(true);
        var (job, status, attempt) = (trained.Job, trained.Status, trained.Attempt);
        if (trained.CanceledBecause is { } reason)
        {
            context.SetCustomStatus(new PipelineProgress(PipelineStage.Canceled, attempt, status.Epoch, epochs, status.ValidationAccuracy, reason) { RunId = runId, Skipped = Listed(dataset.Skipped) });
            return await RecordAsync(context, new PipelineResult(PipelineOutcome.Canceled, request.ModelName, null, null, false, $"canceled: {reason}", dataset.Version, runId, attempt)).ConfigureAwait(true);
        }

        return await PublishAsync(context, request, dataset, runId, job, attempt, status, null, log).ConfigureAwait(true);
    }

    /// <summary>Reads the run's metrics, publishes the model (a sweep's best trial's, with the sweep), and gates it.</summary>
    internal static async Task<PipelineResult> PublishAsync(
        TaskOrchestrationContext context, PipelineRequest request, PreparedDataset dataset, string runId, TrainingJobHandle job, int attempt, TrainingJobStatus status, SweepOutcome? sweep, ILogger log)
    {
        int epochs = request.Training.Epochs;
        var trials = sweep?.Trials;
        int? best = sweep?.BestTrial;
        log.Stage(context.InstanceId, request.ModelName, "reading the run's metrics");
        context.SetCustomStatus(new PipelineProgress(PipelineStage.Evaluating, attempt, status.Epoch, epochs, status.ValidationAccuracy, null) { RunId = runId, Skipped = Listed(dataset.Skipped), Trials = trials, BestTrial = best });
        RunMetrics metrics;
        try
        {
            metrics = await context.CallActivityAsync<RunMetrics>(nameof(ReadMetricsActivity), job, Retry).ConfigureAwait(true);
        }
        catch (TaskFailedException ex)
        {
            throw new PipelineFailedException($"the run's metrics could not be read: {ex.FailureDetails.ErrorMessage}");
        }

        context.SetCustomStatus(new PipelineProgress(PipelineStage.Publishing, attempt, status.Epoch, epochs, status.ValidationAccuracy, null) { RunId = runId, Skipped = Listed(dataset.Skipped), TestAccuracy = metrics.Accuracy, Trials = trials, BestTrial = best });
        int version = await context.CallActivityAsync<int>(nameof(PublishActivity), new PublishRequest(request.ModelName, job, dataset, metrics, runId) { Sweep = sweep }, Retry).ConfigureAwait(true);
        var promotion = metrics.IsGenerator
            ? new PromotionRequest(request.ModelName, version, 0, 0, metrics.FrechetDistance, request.MaximumFrechetDistance)
            : new PromotionRequest(request.ModelName, version, metrics.Accuracy ?? 0, request.MinimumAccuracy);
        var decision = await context.CallActivityAsync<PromotionDecision>(nameof(PromoteActivity), promotion, Retry).ConfigureAwait(true);

        log.Stage(context.InstanceId, request.ModelName, $"done: version {version}, {decision.Reason}");
        context.SetCustomStatus(new PipelineProgress(PipelineStage.Done, attempt, status.Epoch, epochs, status.ValidationAccuracy, decision.Reason) { RunId = runId, Skipped = Listed(dataset.Skipped), TestAccuracy = metrics.Accuracy, Trials = trials, BestTrial = best });
        return await RecordAsync(context, new PipelineResult(PipelineOutcome.Published, request.ModelName, version, metrics.Accuracy, decision.Promoted, decision.Reason, dataset.Version, runId, attempt)
        {
            FrechetDistance = metrics.FrechetDistance,
            Sweep = sweep,
        }).ConfigureAwait(true);
    }

    internal static async Task<PipelineResult> RecordAsync(TaskOrchestrationContext context, PipelineResult result)
    {
        await context.CallActivityAsync<bool>(nameof(RecordOutcomeActivity), new RecordOutcomeInput(context.InstanceId, result), Retry).ConfigureAwait(true);
        return result;
    }

    /// <summary>The skipped pictures for the status, or null when none were (the field is left out).</summary>
    internal static IReadOnlyList<string>? Listed(IReadOnlyList<string> skipped) => skipped.Count == 0 ? null : skipped;

    /// <summary>
    /// The run id: the model, the dataset's content version and a hash of the training job spec (what
    /// decides the model; not the gate, not timing; a sweep's whole section but how many trials run at
    /// once). Safe as a folder and Azure ML name.
    /// </summary>
    public static string RunId(PipelineRequest request, string datasetVersion)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(datasetVersion);
        var training = request.Training.Sweep is { } sweep ? request.Training with { Sweep = sweep with { MaxConcurrent = null } } : request.Training;
        string settings = LeptonJson.Serialize(training);
        string settingsHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(settings)))[..8];
        return $"{request.ModelName}-{datasetVersion[..16]}-{settingsHash}";
    }

    /// <summary>A training job's name: the run, the attempt and 8 hex digits of a replay-safe GUID.</summary>
    public static string JobName(string runId, int attempt, Guid unique) =>
        $"{runId}-a{attempt.ToString(CultureInfo.InvariantCulture)}-{unique.ToString("N")[..8]}";
}
