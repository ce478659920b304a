using Lepton.Pipeline.Activities;
using Microsoft.DurableTask;

namespace Lepton.Pipeline.Orchestration;

/// <summary>Input of a <see cref="SweepTrial"/>: the trial's request (its own training spec), the data, its run id, and the sweep to report to.</summary>
public sealed record SweepTrialInput(string SweepInstanceId, int Trial, string Settings, PipelineRequest Request, PreparedDataset Dataset, string RunId, bool PreparesOwnData, int SharedBy = 1);

/// <summary>How a trial ended: its progress (state, validation accuracy per epoch), its last job and the attempts made.</summary>
public sealed record SweepTrialResult(TrialProgress Progress, TrainingJobHandle? Job, int Attempts);

/// <summary>
/// One trial of a sweep, a child orchestration of <see cref="TrainingPipeline"/>: the usual train step
/// (<see cref="TrainingAttempts"/>: its own run folder, job names, checkpoints, retries and resume), telling
/// the sweep of each new epoch (<see cref="ProgressEvent"/>), stopped by the cancel event (median stopping or
/// the sweep's cancel). It never publishes: the sweep publishes its best trial.
/// </summary>
public sealed class SweepTrial : TaskOrchestrator<SweepTrialInput, SweepTrialResult>
{
    /// <summary>The event a trial sends its sweep with its <see cref="TrialProgress"/>.</summary>
    public const string ProgressEvent = "trial-progress";

    public override async Task<SweepTrialResult> RunAsync(TaskOrchestrationContext context, SweepTrialInput input)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(input);
        var log = context.CreateReplaySafeLogger<SweepTrial>();
        var cancel = context.WaitForExternalEvent<string>(TrainingPipeline.CancelEvent);
        var request = input.Request;
        var accuracies = new List<double?>();
        var progress = new TrialProgress(input.Trial, input.Settings, input.RunId, TrialState.Running, 0, request.Training.Epochs, accuracies, null);
        int reportedEpoch = -1;
        void Report(int attempt, TrainingJobStatus? status)
        {
            if (status is null)
            {
                return;
            }

            if (status.Epoch > 0 && status.ValidationAccuracy is double accuracy)
            {
                while (accuracies.Count < status.Epoch)
                {
                    accuracies.Add(null);
                }

                accuracies[status.Epoch - 1] = accuracy;
            }

            progress = progress with { Epoch = Math.Max(progress.Epoch, status.Epoch), ValidationAccuracies = accuracies.ToArray(), Message = status.Message };
            if (progress.Epoch != reportedEpoch)
            {
                reportedEpoch = progress.Epoch;
                context.SendEvent(input.SweepInstanceId, ProgressEvent, progress);
            }
        }

        try
        {
            var dataset = input.Dataset;
            if (input.PreparesOwnData)
            {
                dataset = await context.CallActivityAsync<PreparedDataset>(nameof(PrepareDatasetActivity), request, TrainingAttempts.Retry).ConfigureAwait(true);
            }

            var trained = await TrainingAttempts.RunAsync(context, request, dataset, input.RunId, cancel, Report, log, input.SharedBy).ConfigureAwait(true);
            if (trained.CanceledBecause is { } reason)
            {
                return new SweepTrialResult(progress with { State = TrialState.Stopped, Message = reason }, trained.Job, trained.Attempt);
            }

            // The whole history (a poll may have missed an epoch); the trainer's last status has no epoch record.
            var history = await context.CallActivityAsync<IReadOnlyList<double?>?>(nameof(ReadValidationHistoryActivity), trained.Job, TrainingAttempts.Retry).ConfigureAwait(true);
            var final = history is { Count: > 0 } ? history : progress.ValidationAccuracies;
            return new SweepTrialResult(progress with { State = TrialState.Succeeded, Epoch = Math.Max(progress.Epoch, final.Count), ValidationAccuracies = final, Message = null }, trained.Job, trained.Attempt);
        }
        catch (PipelineFailedException ex)
        {
            return new SweepTrialResult(progress with { State = TrialState.Failed, Message = ex.Message }, null, 0);
        }
        catch (TaskFailedException ex)
        {
            return new SweepTrialResult(progress with { State = TrialState.Failed, Message = ex.FailureDetails.ErrorMessage }, null, 0);
        }
    }
}
