using System.Globalization;
using Lepton.Core.Contracts;
using Lepton.Pipeline;
using Spectre.Console;

namespace Lepton.Cli;

/// <summary>What <c>lepton pipeline run</c> knows at one poll: the orchestration's progress and the trainer's status.json.</summary>
public sealed record PipelineSnapshot(PipelineProgress? Progress, TrainingStatus? Trainer);

/// <summary>
/// How <c>lepton pipeline run</c> shows progress: <see cref="Plain"/> lines (CI logs, a redirected stdout,
/// <c>--plain</c>) or a live Spectre.Console view (stages, a progress bar per epoch with batches,
/// samples/s, ETA and running loss); both end with a summary table of the epochs.
/// </summary>
public abstract class PipelineProgressView
{
    public abstract Task UpdateAsync(PipelineSnapshot snapshot);

    public abstract Task SummaryAsync(TrainingHistory history);

    /// <summary>Runs <paramref name="follow"/> inside the view (a live display needs to own the terminal while it runs).</summary>
    public abstract Task<T> RunAsync<T>(Func<PipelineProgressView, Task<T>> follow);

    public static PipelineProgressView Create(bool plain, TextWriter output) =>
        plain || !ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive
            ? new Plain(output)
            : new Live();

    private static string Name(PipelineStage stage) => stage.ToString().ToLowerInvariant();

    /// <summary>The stage line, as earlier versions printed it (scripts wait for "epoch N/M").</summary>
    public static string Describe(PipelineProgress p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.Trials is { } trials)
        {
            string best = p.BestTrial is int b && trials.FirstOrDefault(t => t.Trial == b) is { } leader
                ? string.Create(CultureInfo.InvariantCulture, $"; {(p.Stage == PipelineStage.Training ? "best so far" : "best")} trial {leader.Trial} ({leader.Settings}), validation accuracy {leader.ValidationAccuracy:F4}")
                : string.Empty;
            string state = p.Stage == PipelineStage.Training ? p.Message ?? "sweep" : Name(p.Stage) + (p.TestAccuracy is double t ? string.Create(CultureInfo.InvariantCulture, $": test accuracy {t:F4}") : string.Empty);
            return state + best;
        }

        return p.Stage switch
        {
            PipelineStage.Training when p.Epoch > 0 => string.Create(CultureInfo.InvariantCulture,
                $"training (attempt {p.Attempt}): epoch {p.Epoch}/{p.TotalEpochs}{(p.ValidationAccuracy is double a ? $", validation accuracy {a:F4}" : string.Empty)}"),
            PipelineStage.Training => $"training (attempt {p.Attempt}): {p.Message ?? "starting"}",
            PipelineStage.Publishing or PipelineStage.Done when p.TestAccuracy is double test => string.Create(CultureInfo.InvariantCulture, $"{Name(p.Stage)}: test accuracy {test:F4}"),
            _ => Name(p.Stage),
        };
    }

    /// <summary>A sweep trial's line: <c>trial 2 (learningRate=0.003): running, epoch 1/2, validation accuracy 0.8123</c>.</summary>
    public static string DescribeTrial(TrialProgress t)
    {
        ArgumentNullException.ThrowIfNull(t);
        string accuracy = t.ValidationAccuracy is double a ? string.Create(CultureInfo.InvariantCulture, $", validation accuracy {a:F4}") : string.Empty;
        string why = t.State is TrialState.Stopped or TrialState.Failed && t.Message is { } m ? $" ({m})" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"trial {t.Trial} ({t.Settings}): {t.State.ToString().ToLowerInvariant()}, epoch {t.Epoch}/{t.TotalEpochs}{accuracy}{why}");
    }

    /// <summary>The trials of a finished sweep as a text table, the best marked.</summary>
    public static IEnumerable<string> TrialsTable(SweepOutcome sweep)
    {
        ArgumentNullException.ThrowIfNull(sweep);
        var rows = sweep.Trials.Select(t => new[]
        {
            (t.Trial == sweep.BestTrial ? "*" : " ") + t.Trial.ToString(CultureInfo.InvariantCulture), t.Settings, t.State.ToString().ToLowerInvariant(),
            t.Epoch.ToString(CultureInfo.InvariantCulture) + "/" + t.TotalEpochs.ToString(CultureInfo.InvariantCulture), F(t.ValidationAccuracy, "F4"),
        }).ToList();
        string[] columns = ["trial", "settings", "state", "epochs", "val acc"];
        int[] widths = columns.Select((c, i) => Math.Max(c.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        string Format(IReadOnlyList<string> cells) => string.Join("  ", cells.Select((c, i) => i == 1 ? c.PadRight(widths[i]) : c.PadLeft(widths[i])));
        return rows.Select(Format).Prepend(Format(columns));
    }

    /// <summary>Seconds left at the current rate: this epoch's remaining batches and every later epoch's.</summary>
    public static TimeSpan? EstimateRemaining(BatchProgress b, int totalEpochs)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.SamplesPerSecond <= 0)
        {
            return null;
        }

        double batches = (b.TotalBatches - b.Batch) + ((double)Math.Max(0, totalEpochs - b.Epoch) * b.TotalBatches);
        return TimeSpan.FromSeconds(Math.Round(batches * b.BatchSize / b.SamplesPerSecond));
    }

    public static string BatchLine(BatchProgress b, int totalEpochs, int attempt)
    {
        ArgumentNullException.ThrowIfNull(b);
        var eta = EstimateRemaining(b, totalEpochs);
        return string.Create(CultureInfo.InvariantCulture,
            $"training (attempt {attempt}): batch {b.Batch}/{b.TotalBatches} in epoch {b.Epoch} of {totalEpochs}, running loss {b.RunningLoss:F4}, {b.SamplesPerSecond:F0} samples/s, ETA {(eta is { } t ? FormatDuration(t) : "?")}");
    }

    public static string FormatDuration(TimeSpan t) =>
        t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    private static string F(double? x, string format) => x is double v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static readonly string[] Columns = ["epoch", "train loss", "train acc", "val loss", "val acc", "seconds", "samples/s"];

    private static string[] Row(EpochRecord e) =>
    [
        e.Epoch.ToString(CultureInfo.InvariantCulture), F(e.TrainLoss, "F4"), F(e.TrainAccuracy, "F4"), F(e.ValidationLoss, "F4"),
        F(e.ValidationAccuracy, "F4"), F(e.Seconds, "F1"), F(e.SamplesPerSecond, "F0"),
    ];

    /// <summary>Line by line: a line when the stage or epoch changes, and one per batch update of status.json.</summary>
    private sealed class Plain(TextWriter output) : PipelineProgressView
    {
        private readonly Dictionary<int, string> _trials = [];
        private string? _last;
        private BatchProgress? _lastBatch;

        public override async Task UpdateAsync(PipelineSnapshot snapshot)
        {
            if (snapshot.Progress is { } progress)
            {
                string line = Describe(progress);
                if (line != _last)
                {
                    await output.WriteLineAsync(line).ConfigureAwait(false);
                    _last = line;
                }
            }

            foreach (var trial in snapshot.Progress?.Trials ?? [])
            {
                string line = "  " + DescribeTrial(trial);
                if (!_trials.TryGetValue(trial.Trial, out string? last) || last != line)
                {
                    _trials[trial.Trial] = line;
                    if (trial.State != TrialState.Pending)
                    {
                        await output.WriteLineAsync(line).ConfigureAwait(false);
                    }
                }
            }

            if (snapshot.Trainer is { Batch: { } batch } trainer && batch != _lastBatch && snapshot.Progress?.Stage == PipelineStage.Training)
            {
                await output.WriteLineAsync(BatchLine(batch, trainer.TotalEpochs, snapshot.Progress.Attempt)).ConfigureAwait(false);
                _lastBatch = batch;
            }
        }

        public override async Task SummaryAsync(TrainingHistory history)
        {
            var rows = history.Epochs.Select(Row).ToList();
            int[] widths = Columns.Select((c, i) => Math.Max(c.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
            string Format(IReadOnlyList<string> cells) => string.Join("  ", cells.Select((c, i) => c.PadLeft(widths[i])));
            await output.WriteLineAsync(Format(Columns)).ConfigureAwait(false);
            foreach (var row in rows)
            {
                await output.WriteLineAsync(Format(row)).ConfigureAwait(false);
            }
        }

        public override Task<T> RunAsync<T>(Func<PipelineProgressView, Task<T>> follow) => follow(this);
    }

    /// <summary>Spectre.Console's live progress: a stage line and a bar per epoch.</summary>
    private sealed class Live : PipelineProgressView
    {
        private readonly Dictionary<int, ProgressTask> _epochs = [];
        private readonly Dictionary<int, ProgressTask> _trials = [];
        private ProgressContext? _context;
        private ProgressTask? _stage;

        public override Task UpdateAsync(PipelineSnapshot snapshot)
        {
            if (_context is null || _stage is null)
            {
                return Task.CompletedTask;
            }

            if (snapshot.Progress is { } progress)
            {
                _stage.Description = Markup.Escape(Describe(progress));
                foreach (var trial in progress.Trials ?? [])
                {
                    if (!_trials.TryGetValue(trial.Trial, out var task))
                    {
                        task = _context.AddTask(string.Empty, autoStart: true, maxValue: Math.Max(1, trial.TotalEpochs));
                        _trials[trial.Trial] = task;
                    }

                    task.Value = trial.Epoch;
                    task.Description = Markup.Escape(DescribeTrial(trial) + (trial.Trial == progress.BestTrial ? "  (best so far)" : string.Empty));
                    if (trial.State is TrialState.Succeeded or TrialState.Stopped or TrialState.Failed)
                    {
                        task.StopTask();
                    }
                }
            }

            if (snapshot.Trainer is { } trainer && snapshot.Progress?.Stage == PipelineStage.Training)
            {
                if (trainer.Batch is { } b)
                {
                    var task = Epoch(b.Epoch, trainer.TotalEpochs, b.TotalBatches);
                    task.Value = b.Batch;
                    var eta = EstimateRemaining(b, trainer.TotalEpochs);
                    task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                        $"epoch {b.Epoch}/{trainer.TotalEpochs}  batch {b.Batch}/{b.TotalBatches}  loss {b.RunningLoss:F4}  {b.SamplesPerSecond:F0} samples/s  ETA {(eta is { } t ? FormatDuration(t) : "?")}"));
                }

                // Epochs the trainer has finished: full bars with their validation accuracy.
                foreach (var (epoch, task) in _epochs.Where(e => e.Key <= trainer.Epoch && !e.Value.IsFinished))
                {
                    task.Value = task.MaxValue;
                    string accuracy = trainer.Latest is { } latest && latest.Epoch == epoch && latest.ValidationAccuracy is double a
                        ? string.Create(CultureInfo.InvariantCulture, $"  validation accuracy {a:F4}")
                        : string.Empty;
                    task.Description = Markup.Escape($"epoch {epoch}/{trainer.TotalEpochs}  done{accuracy}");
                    task.StopTask();
                }
            }

            return Task.CompletedTask;
        }

        private ProgressTask Epoch(int epoch, int totalEpochs, int batches)
        {
            if (!_epochs.TryGetValue(epoch, out var task))
            {
                task = _context!.AddTask(Markup.Escape($"epoch {epoch}/{totalEpochs}"), autoStart: true, maxValue: batches);
                _epochs[epoch] = task;
            }

            return task;
        }

        public override Task SummaryAsync(TrainingHistory history)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("epochs");
            foreach (string column in Columns)
            {
                table.AddColumn(new TableColumn(column).RightAligned());
            }

            foreach (var e in history.Epochs)
            {
                table.AddRow(Row(e));
            }

            AnsiConsole.Write(table);
            return Task.CompletedTask;
        }

        public override Task<T> RunAsync<T>(Func<PipelineProgressView, Task<T>> follow) =>
            AnsiConsole.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    _context = context;
                    _stage = context.AddTask("starting", autoStart: true, maxValue: 1);
                    _stage.IsIndeterminate = true;
                    try
                    {
                        return await follow(this).ConfigureAwait(false);
                    }
                    finally
                    {
                        _stage.Value = 1;
                        _stage.StopTask();
                        foreach (var task in _epochs.Values)
                        {
                            task.StopTask();
                        }
                    }
                });
    }
}
