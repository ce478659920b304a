using System.Globalization;
using Lepton.Pipeline.Activities;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Lepton.Pipeline.Orchestration;

/// <summary>
/// A sweep inside <see cref="TrainingPipeline"/>: each trial a <see cref="SweepTrial"/> child orchestration,
/// at most the sweep's <c>maxConcurrent</c> at once (else the compute target's capacity); their epochs
/// arrive as events, shown in the custom status and, with early termination on, judged by
/// <see cref="MedianStopping"/>; the best trial by validation accuracy is published under the sweep's run id.
/// </summary>
internal static class TrainingSweep
{
    public static async Task<PipelineResult> RunAsync(TaskOrchestrationContext context, PipelineRequest request, PreparedDataset dataset, string runId, Task<string> cancel, ILogger log)
    {
        var sweep = request.Training.Sweep!;
        var plans = SweepPlan.Trials(request.Training);
        int limit = sweep.MaxConcurrent
            ?? await context.CallActivityAsync<int>(nameof(ComputeCapacityActivity), plans.Count, TrainingAttempts.Retry).ConfigureAwait(true);
        limit = Math.Clamp(limit, 1, plans.Count);
        log.Stage(context.InstanceId, request.ModelName, string.Create(CultureInfo.InvariantCulture, $"sweep of {plans.Count} trial(s), {limit} at once"));

        var trials = plans.Select(p => new TrialProgress(p.Trial, p.Settings, SweepPlan.TrialRunId(runId, p.Trial), TrialState.Pending, 0, p.Spec.Epochs, [], null)).ToArray();
        var running = new Dictionary<int, (Task<SweepTrialResult> Task, string InstanceId)>();
        var results = new Dictionary<int, SweepTrialResult>();
        var stopping = new HashSet<int>();
        var progressEvent = context.WaitForExternalEvent<TrialProgress>(SweepTrial.ProgressEvent);
        int next = 0;

        void Show(PipelineStage stage, string? message = null)
        {
            int? best = Best(trials, TrialState.Running, TrialState.Succeeded);
            string counts = string.Join(", ", trials.GroupBy(t => t.State).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
            context.SetCustomStatus(new PipelineProgress(stage, 0, 0, request.Training.Epochs, best is int b ? trials[b - 1].ValidationAccuracy : null, message ?? $"sweep: {counts}")
            {
                RunId = runId,
                Skipped = TrainingPipeline.Listed(dataset.Skipped),
                Trials = trials,
                BestTrial = best,
            });
        }

        while (next < plans.Count || running.Count > 0)
        {
            while (running.Count < limit && next < plans.Count)
            {
                var plan = plans[next++];
                string childId = $"{context.InstanceId}-t{plan.Trial.ToString("00", CultureInfo.InvariantCulture)}-{context.NewGuid().ToString("N")[..8]}";
                var input = new SweepTrialInput(context.InstanceId, plan.Trial, plan.Settings, request with { Training = plan.Spec }, dataset, trials[plan.Trial - 1].RunId, plan.PreparesOwnData, limit);
                running[plan.Trial] = (context.CallSubOrchestratorAsync<SweepTrialResult>(nameof(SweepTrial), input, new TaskOptions().WithInstanceId(childId)), childId);
                trials[plan.Trial - 1] = trials[plan.Trial - 1] with { State = TrialState.Running };
            }

            Show(PipelineStage.Training);
            var done = await Task.WhenAny(running.Values.Select(r => (Task)r.Task).Append(progressEvent).Append(cancel)).ConfigureAwait(true);
            if (done == cancel)
            {
                foreach (var (_, child) in running)
                {
                    context.SendEvent(child.InstanceId, TrainingPipeline.CancelEvent, cancel.Result);
                }

                foreach (var (trial, child) in running)
                {
                    var result = await child.Task.ConfigureAwait(true);
                    trials[trial - 1] = result.Progress;
                }

                Show(PipelineStage.Canceled, cancel.Result);
                return await TrainingPipeline.RecordAsync(context, new PipelineResult(PipelineOutcome.Canceled, request.ModelName, null, null, false, $"canceled: {cancel.Result}", dataset.Version, runId, 0)).ConfigureAwait(true);
            }

            if (done == progressEvent)
            {
                var progress = progressEvent.Result;
                progressEvent = context.WaitForExternalEvent<TrialProgress>(SweepTrial.ProgressEvent);
                if (progress.Trial < 1 || progress.Trial > trials.Length || trials[progress.Trial - 1].State != TrialState.Running)
                {
                    continue; // a late report of a trial that has ended
                }

                trials[progress.Trial - 1] = progress with { State = TrialState.Running };
                if (sweep.EarlyTermination)
                {
                    foreach (int trial in running.Keys.Where(t => !stopping.Contains(t)).ToArray())
                    {
                        if (MedianStopping.Judge(trials[trial - 1], trials, sweep.EarlyTerminationFromEpoch) is { } reason)
                        {
                            log.Stage(context.InstanceId, request.ModelName, $"trial {trial}: {reason}");
                            stopping.Add(trial);
                            context.SendEvent(running[trial].InstanceId, TrainingPipeline.CancelEvent, reason);
                        }
                    }
                }

                continue;
            }

            foreach (var (trial, child) in running.Where(r => r.Value.Task == done).ToArray())
            {
                var result = await child.Task.ConfigureAwait(true);
                results[trial] = result;
                trials[trial - 1] = result.Progress;
                running.Remove(trial);
            }
        }

        if (Best(trials, TrialState.Succeeded) is not int bestTrial)
        {
            Show(PipelineStage.Training);
            throw new PipelineFailedException($"no trial of the sweep succeeded with a validation accuracy: {string.Join("; ", trials.Select(t => $"trial {t.Trial} ({t.Settings}) {t.State.ToString().ToLowerInvariant()}: {t.Message}"))}");
        }

        var best = results[bestTrial];
        var outcome = new SweepOutcome(runId, bestTrial, trials);
        log.Stage(context.InstanceId, request.ModelName, $"sweep: trial {bestTrial} ({best.Progress.Settings}) is the best");
        var status = new TrainingJobStatus(TrainingJobState.Succeeded, best.Progress.Epoch, best.Progress.TotalEpochs, best.Progress.ValidationAccuracy, null);
        return await TrainingPipeline.PublishAsync(context, request, dataset, runId, best.Job!, best.Attempts, status, outcome, log).ConfigureAwait(true);
    }

    /// <summary>The trial with the highest latest validation accuracy among those in <paramref name="states"/> (the first on a tie), or null.</summary>
    public static int? Best(IEnumerable<TrialProgress> trials, params TrialState[] states) =>
        trials.Where(t => states.Contains(t.State) && t.ValidationAccuracy is not null)
            .OrderByDescending(t => t.ValidationAccuracy)
            .ThenBy(t => t.Trial)
            .Select(t => (int?)t.Trial)
            .FirstOrDefault();
}
