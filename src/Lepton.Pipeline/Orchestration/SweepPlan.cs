using System.Globalization;
using Lepton.Core.Contracts;

namespace Lepton.Pipeline.Orchestration;

/// <summary>One trial of a sweep: its number (1-based), the settings it changes, and its whole job spec.</summary>
public sealed record SweepTrialPlan(int Trial, string Settings, TrainingJobSpec Spec)
{
    /// <summary>Whether the trial changes how the dataset is prepared (image size, channels): it prepares its own.</summary>
    public bool PreparesOwnData { get; init; }
}

/// <summary>A training job spec's <c>sweep</c> section made into trials (deterministic: the orchestrator computes it on every replay).</summary>
public static class SweepPlan
{
    /// <summary>The trials of <paramref name="training"/>'s sweep, in order (random search draws with the spec's seed).</summary>
    public static IReadOnlyList<SweepTrialPlan> Trials(TrainingJobSpec training)
    {
        ArgumentNullException.ThrowIfNull(training);
        var sweep = training.Sweep ?? throw new ArgumentException("the training job has no sweep", nameof(training));
        return sweep.Expand(training.Seed)
            .Select((settings, i) => new SweepTrialPlan(i + 1, SweepSpec.Describe(settings), SweepSpec.Apply(training, settings))
            {
                PreparesOwnData = settings.Keys.Any(SweepSpec.Preparation.Contains),
            })
            .ToArray();
    }

    /// <summary>Every problem of the trials' specs (a value of the wrong type, out of range), naming the trial.</summary>
    public static IReadOnlyList<string> Problems(TrainingJobSpec training)
    {
        ArgumentNullException.ThrowIfNull(training);
        var errors = new List<string>();
        var sweep = training.Sweep!;
        foreach (var settings in sweep.Expand(training.Seed))
        {
            string name = SweepSpec.Describe(settings);
            try
            {
                var spec = SweepSpec.Apply(training, settings) with { Data = "-", Output = "-" };
                errors.AddRange(spec.Validate(KnownArchitectures.Names).Select(e => $"sweep trial {name}: {e}"));
            }
            catch (InvalidDataException ex)
            {
                errors.Add($"sweep trial {name}: {ex.Message}");
            }
        }

        return errors.Distinct(StringComparer.Ordinal).ToArray();
    }

    /// <summary>A trial's run id (its folder <c>runs/{id}</c>): the sweep's and the trial's number.</summary>
    public static string TrialRunId(string sweepRunId, int trial) => $"{sweepRunId}-t{trial.ToString("00", CultureInfo.InvariantCulture)}";
}
