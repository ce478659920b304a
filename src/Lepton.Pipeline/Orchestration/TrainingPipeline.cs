using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Lepton.Core.Contracts;
using Lepton.Pipeline.Activities;
using Microsoft.DurableTask;

namespace Lepton.Pipeline.Orchestration;

/// <summary>A run that cannot go on; the orchestration fails with this message.</summary>
public sealed class PipelineFailedException(string message) : Exception(message);

/// <summary>
/// The training pipeline: prepare the dataset, submit training, poll it with durable timers (progress in
/// the custom status), resubmit a failed job (it resumes from its checkpoint) within the attempt budget,
/// evaluate the exported model with ONNX Runtime, publish it, and promote it when it earns it. A
/// "cancel" event stops the job and ends the run as canceled. Deterministic: time and ids come from the
/// context; activities do all I/O; only references travel between them.
/// </summary>
public sealed class TrainingPipeline : TaskOrchestrator<PipelineRequest, PipelineResult>
{
    public const string CancelEvent = "cancel";

    private static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(3, TimeSpan.FromSeconds(1), 2.0));

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
        var deadline = context.CurrentUtcDateTime + request.Deadline;
        TrainingJobHandle? job = null;
        TrainingJobStatus? status = null;
        int attempt = 0;
        while (status?.State != TrainingJobState.Succeeded)
        {
            attempt++;
            if (attempt > Math.Max(1, request.MaxTrainingAttempts))
            {
                throw new PipelineFailedException($"training failed {attempt - 1} time(s); last: {status?.Message}");
            }

            // A job name of its own per instance and attempt (replay-safe): a re-run after a failure submits
            // new jobs, never an update of the failed one (Azure ML would only replace its tags).
            string jobName = JobName(runId, attempt, context.NewGuid());
            job = await context.CallActivityAsync<TrainingJobHandle>(nameof(SubmitTrainingActivity), new SubmitTrainingInput(request, dataset, runId, jobName, attempt), Retry).ConfigureAwait(true);
            while (true)
            {
                using var timerCancel = new CancellationTokenSource();
                var timer = context.CreateTimer(context.CurrentUtcDateTime + request.PollInterval, timerCancel.Token);
                if (await Task.WhenAny(timer, cancel).ConfigureAwait(true) == cancel)
                {
                    timerCancel.Cancel();
                    await context.CallActivityAsync<bool>(nameof(CancelTrainingActivity), job, Retry).ConfigureAwait(true);
                    context.SetCustomStatus(new PipelineProgress(PipelineStage.Canceled, attempt, status?.Epoch ?? 0, epochs, status?.ValidationAccuracy, cancel.Result) { RunId = runId, Skipped = Listed(dataset.Skipped) });
                    return await RecordAsync(context, new PipelineResult(PipelineOutcome.Canceled, request.ModelName, null, null, false, $"canceled: {cancel.Result}", dataset.Version, runId, attempt)).ConfigureAwait(true);
                }

                status = await context.CallActivityAsync<TrainingJobStatus>(nameof(GetTrainingStatusActivity), job, Retry).ConfigureAwait(true);
                context.SetCustomStatus(new PipelineProgress(PipelineStage.Training, attempt, status.Epoch, epochs, status.ValidationAccuracy, status.Message) { RunId = runId, Skipped = Listed(dataset.Skipped) });
                if (status.IsTerminal)
                {
                    break;
                }

                if (context.CurrentUtcDateTime > deadline)
                {
                    await context.CallActivityAsync<bool>(nameof(CancelTrainingActivity), job, Retry).ConfigureAwait(true);
                    throw new PipelineFailedException($"training did not finish within {request.Deadline}");
                }
            }

            if (status.State == TrainingJobState.Canceled)
            {
                throw new PipelineFailedException("the training job was canceled on its compute target");
            }

            if (status.State == TrainingJobState.Failed)
            {
                log.AttemptFailed(context.InstanceId, request.ModelName, attempt, status.Message);
            }
        }

        log.Stage(context.InstanceId, request.ModelName, "reading the run's metrics");
        context.SetCustomStatus(new PipelineProgress(PipelineStage.Evaluating, attempt, status.Epoch, epochs, status.ValidationAccuracy, null) { RunId = runId, Skipped = Listed(dataset.Skipped) });
        RunMetrics metrics;
        try
        {
            metrics = await context.CallActivityAsync<RunMetrics>(nameof(ReadMetricsActivity), job!, Retry).ConfigureAwait(true);
        }
        catch (TaskFailedException ex)
        {
            throw new PipelineFailedException($"the run's metrics could not be read: {ex.FailureDetails.ErrorMessage}");
        }

        context.SetCustomStatus(new PipelineProgress(PipelineStage.Publishing, attempt, status.Epoch, epochs, status.ValidationAccuracy, null) { RunId = runId, Skipped = Listed(dataset.Skipped), TestAccuracy = metrics.Accuracy });
        int version = await context.CallActivityAsync<int>(nameof(PublishActivity), new PublishRequest(request.ModelName, job!, dataset, metrics, runId), Retry).ConfigureAwait(true);
        var promotion = metrics.IsGenerator
            ? new PromotionRequest(request.ModelName, version, 0, 0, metrics.FrechetDistance, request.MaximumFrechetDistance)
            : new PromotionRequest(request.ModelName, version, metrics.Accuracy ?? 0, request.MinimumAccuracy);
        var decision = await context.CallActivityAsync<PromotionDecision>(nameof(PromoteActivity), promotion, Retry).ConfigureAwait(true);

        log.Stage(context.InstanceId, request.ModelName, $"done: version {version}, {decision.Reason}");
        context.SetCustomStatus(new PipelineProgress(PipelineStage.Done, attempt, status.Epoch, epochs, status.ValidationAccuracy, decision.Reason) { RunId = runId, Skipped = Listed(dataset.Skipped), TestAccuracy = metrics.Accuracy });
        return await RecordAsync(context, new PipelineResult(PipelineOutcome.Published, request.ModelName, version, metrics.Accuracy, decision.Promoted, decision.Reason, dataset.Version, runId, attempt)
        {
            FrechetDistance = metrics.FrechetDistance,
        }).ConfigureAwait(true);
    }

    private static async Task<PipelineResult> RecordAsync(TaskOrchestrationContext context, PipelineResult result)
    {
        await context.CallActivityAsync<bool>(nameof(RecordOutcomeActivity), new RecordOutcomeInput(context.InstanceId, result), Retry).ConfigureAwait(true);
        return result;
    }

    /// <summary>
    /// The run id: the model, the dataset's content version and a hash of the training job spec (what
    /// decides the model; not the gate, not timing). Safe as a folder and Azure ML name.
    /// </summary>
    /// <summary>The skipped pictures for the status, or null when none were (the field is left out).</summary>
    private static IReadOnlyList<string>? Listed(IReadOnlyList<string> skipped) => skipped.Count == 0 ? null : skipped;

    public static string RunId(PipelineRequest request, string datasetVersion)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(datasetVersion);
        string settings = LeptonJson.Serialize(request.Training);
        string settingsHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(settings)))[..8];
        return $"{request.ModelName}-{datasetVersion[..16]}-{settingsHash}";
    }

    /// <summary>A training job's name: the run, the attempt and 8 hex digits of a replay-safe GUID.</summary>
    public static string JobName(string runId, int attempt, Guid unique) =>
        $"{runId}-a{attempt.ToString(CultureInfo.InvariantCulture)}-{unique.ToString("N")[..8]}";
}
