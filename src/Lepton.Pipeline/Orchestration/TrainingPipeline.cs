using Lepton.Core.Evaluation;
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
        context.SetCustomStatus(new PipelineProgress("preparing", 0, 0, request.Epochs, null, null));
        PreparedDataset dataset;
        try
        {
            dataset = await context.CallActivityAsync<PreparedDataset>(nameof(PrepareDatasetActivity), request).ConfigureAwait(true);
        }
        catch (TaskFailedException ex)
        {
            throw new PipelineFailedException($"dataset rejected: {ex.FailureDetails.ErrorMessage}");
        }

        string runId = RunId(context.InstanceId);
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

            job = await context.CallActivityAsync<TrainingJobHandle>(nameof(SubmitTrainingActivity), new SubmitTrainingInput(request, dataset, runId, attempt), Retry).ConfigureAwait(true);
            while (true)
            {
                using var timerCancel = new CancellationTokenSource();
                var timer = context.CreateTimer(context.CurrentUtcDateTime + request.PollInterval, timerCancel.Token);
                if (await Task.WhenAny(timer, cancel).ConfigureAwait(true) == cancel)
                {
                    timerCancel.Cancel();
                    await context.CallActivityAsync<bool>(nameof(CancelTrainingActivity), job, Retry).ConfigureAwait(true);
                    context.SetCustomStatus(new PipelineProgress("canceled", attempt, status?.Epoch ?? 0, request.Epochs, status?.ValidationAccuracy, cancel.Result));
                    return new PipelineResult(PipelineOutcome.Canceled, request.ModelName, null, null, false, $"canceled: {cancel.Result}", dataset.Version, runId, attempt);
                }

                status = await context.CallActivityAsync<TrainingJobStatus>(nameof(GetTrainingStatusActivity), job, Retry).ConfigureAwait(true);
                context.SetCustomStatus(new PipelineProgress("training", attempt, status.Epoch, request.Epochs, status.ValidationAccuracy, status.Message));
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
        }

        context.SetCustomStatus(new PipelineProgress("evaluating", attempt, status.Epoch, request.Epochs, status.ValidationAccuracy, null));
        var evaluation = await context.CallActivityAsync<ClassificationReport>(nameof(EvaluateActivity), new EvaluationRequest(job!, dataset, request.TestLimit), Retry).ConfigureAwait(true);

        context.SetCustomStatus(new PipelineProgress("publishing", attempt, status.Epoch, request.Epochs, evaluation.Accuracy, null));
        int version = await context.CallActivityAsync<int>(nameof(PublishActivity), new PublishRequest(request.ModelName, job!, dataset, evaluation, runId)).ConfigureAwait(true);
        var decision = await context.CallActivityAsync<PromotionDecision>(nameof(PromoteActivity), new PromotionRequest(request.ModelName, version, evaluation.Accuracy, request.MinimumAccuracy), Retry).ConfigureAwait(true);

        context.SetCustomStatus(new PipelineProgress("done", attempt, status.Epoch, request.Epochs, evaluation.Accuracy, decision.Reason));
        return new PipelineResult(PipelineOutcome.Published, request.ModelName, version, evaluation.Accuracy, decision.Promoted, decision.Reason, dataset.Version, runId, attempt);
    }

    /// <summary>A run id that is safe as a folder name, from the instance id.</summary>
    public static string RunId(string instanceId)
    {
        ArgumentNullException.ThrowIfNull(instanceId);
        return new string(instanceId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray());
    }
}
