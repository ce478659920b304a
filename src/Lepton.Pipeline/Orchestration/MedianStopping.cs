using System.Globalization;

namespace Lepton.Pipeline.Orchestration;

/// <summary>
/// Early termination as Azure ML's median stopping policy: a running trial whose validation accuracy after
/// epoch k is below the median of the other trials' after epoch k (those that got that far, at least two) is stopped.
/// </summary>
public static class MedianStopping
{
    /// <summary>The fewest other trials with an accuracy at the epoch for a median to be taken.</summary>
    public const int MinimumOthers = 2;

    /// <summary>Why <paramref name="trial"/> should stop now, or null when it should go on.</summary>
    public static string? Judge(TrialProgress trial, IEnumerable<TrialProgress> others, int fromEpoch)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(others);
        int epoch = trial.ValidationAccuracies.Count;
        if (trial.State != TrialState.Running || epoch < fromEpoch || epoch >= trial.TotalEpochs || trial.ValidationAccuracies[epoch - 1] is not double accuracy)
        {
            return null;
        }

        var atEpoch = others
            .Where(o => o.Trial != trial.Trial && o.ValidationAccuracies.Count >= epoch && o.ValidationAccuracies[epoch - 1] is not null)
            .Select(o => o.ValidationAccuracies[epoch - 1]!.Value)
            .Order()
            .ToArray();
        if (atEpoch.Length < MinimumOthers)
        {
            return null;
        }

        double median = atEpoch.Length % 2 == 1 ? atEpoch[atEpoch.Length / 2] : (atEpoch[(atEpoch.Length / 2) - 1] + atEpoch[atEpoch.Length / 2]) / 2;
        return accuracy < median
            ? string.Create(CultureInfo.InvariantCulture, $"stopped early: validation accuracy {accuracy:F4} after epoch {epoch} is below the median {median:F4} of {atEpoch.Length} other trial(s)")
            : null;
    }
}
