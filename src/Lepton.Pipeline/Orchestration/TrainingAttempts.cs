using Lepton.Pipeline.Activities;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Lepton.Pipeline.Orchestration;

/// <summary>How a train step ended: the last job, its last status, the attempts made, and the cancel's reason when canceled.</summary>
public sealed record TrainingAttemptsOutcome(TrainingJobHandle Job, TrainingJobStatus Status, int Attempt, string? CanceledBecause);

/// <summary>
/// The train step of a run and of each sweep trial: submit the job, poll it with durable timers, resubmit a
/// failed one (it resumes from its checkpoint) within the attempt budget, stop it on the cancel event.
/// Throws <see cref="PipelineFailedException"/> when training cannot succeed.
/// </summary>
internal static class TrainingAttempts
{
    public static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(3, TimeSpan.FromSeconds(1), 2.0));

    /// <param name="report">Called after every poll with the attempt and the job's status.</param>
    /// <param name="sharedBy">How many jobs train at once (a sweep's trials), for the compute target's share of cores.</param>
    public static async Task<TrainingAttemptsOutcome> RunAsync(
        TaskOrchestrationContext context, PipelineRequest request, PreparedDataset dataset, string runId, Task<string> cancel, Action<int, TrainingJobStatus?> report, ILogger log, int? sharedBy = null)
    {
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
            string jobName = TrainingPipeline.JobName(runId, attempt, context.NewGuid());
            job = await context.CallActivityAsync<TrainingJobHandle>(nameof(SubmitTrainingActivity), new SubmitTrainingInput(request, dataset, runId, jobName, attempt, sharedBy), Retry).ConfigureAwait(true);
            while (true)
            {
                using var timerCancel = new CancellationTokenSource();
                var timer = context.CreateTimer(context.CurrentUtcDateTime + request.PollInterval, timerCancel.Token);
                if (await Task.WhenAny(timer, cancel).ConfigureAwait(true) == cancel)
                {
                    timerCancel.Cancel();
                    await context.CallActivityAsync<bool>(nameof(CancelTrainingActivity), job, Retry).ConfigureAwait(true);
                    return new TrainingAttemptsOutcome(job, status ?? new TrainingJobStatus(TrainingJobState.Canceled, 0, 0, null, cancel.Result), attempt, cancel.Result);
                }

                status = await context.CallActivityAsync<TrainingJobStatus>(nameof(GetTrainingStatusActivity), job, Retry).ConfigureAwait(true);
                report(attempt, status);
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

        return new TrainingAttemptsOutcome(job!, status, attempt, null);
    }
}
