using Lepton.Core.Contracts;

namespace Lepton.Trainer;

/// <summary>
/// What every trainer job does around its work: validate the spec, keep status.json (Running, then
/// Succeeded with a summary or Failed with the reason). Shared by the classifier and generator jobs.
/// </summary>
internal static class JobEnvelope
{
    public static T Run<T>(TrainingJobSpec spec, Func<string, T> core, Func<T, string> summary)
    {
        var errors = spec.Validate(TrainerFamilies.Names).ToList();
        if (spec.Sweep is not null)
        {
            errors.Add("sweep: a sweep is run by the pipeline (lepton pipeline run --sweep), which hands the trainer one trial at a time");
        }

        if (errors.Count > 0)
        {
            throw new JobSpecException(errors);
        }

        Directory.CreateDirectory(spec.Output);
        string statusPath = Path.Combine(spec.Output, RunFolder.Status);
        WriteStatus(spec, statusPath, JobState.Running, "loading data", 0, null, null);
        try
        {
            var result = core(statusPath);
            WriteStatus(spec, statusPath, JobState.Succeeded, "done", spec.Epochs, null, summary(result));
            return result;
        }
        catch (Exception ex)
        {
            WriteStatus(spec, statusPath, JobState.Failed, "failed", 0, null, ex.Message);
            throw;
        }
    }

    public static void WriteStatus(TrainingJobSpec spec, string path, JobState state, string stage, int epoch, EpochRecord? latest, string? message, BatchProgress? batch = null) =>
        LeptonJson.WriteFile(path, new TrainingStatus(state, stage, epoch, spec.Epochs, latest, message, DateTimeOffset.UtcNow, batch));
}
