using Lepton.Core.Contracts;
using Lepton.Core.Storage;

namespace Lepton.Pipeline;

/// <summary>
/// The run an upload started, recorded in the store at <c>runs/uploads/{model}/{file}.json</c> by whoever
/// starts it (the Functions app's triggers), so that the uploader (<c>lepton datasets upload --wait</c>,
/// <c>lepton datasets list</c>) can find the run of exactly the bytes it uploaded (by ETag). An upload
/// that was refused (a broken archive, invalid settings) is recorded with no instance id and the reason.
/// An upload to another container than <c>datasets</c> (<see cref="Container"/>: <c>batch</c>, whose
/// uploads start batch jobs) is recorded at <c>runs/uploads/{container}/{model}/{file}.json</c>.
/// </summary>
public sealed record UploadRun(string Model, string File, string ETag, string? InstanceId, bool Started, DateTimeOffset At, string? Error = null, string Container = PipelineWorkspace.UploadsContainer)
{
    public static string PathFor(string model, string file, string container = PipelineWorkspace.UploadsContainer) =>
        container == PipelineWorkspace.UploadsContainer
            ? $"{PipelineWorkspace.RunsContainer}/uploads/{model}/{file}.json"
            : $"{PipelineWorkspace.RunsContainer}/uploads/{container}/{model}/{file}.json";

    public static async Task WriteAsync(IArtifactStore store, UploadRun run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(run);
        using var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(LeptonJson.Serialize(run)));
        await store.WriteAsync(PathFor(run.Model, run.File, run.Container), content, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The recorded run of a dataset upload, or null when none was recorded yet.</summary>
    public static Task<UploadRun?> ReadAsync(IArtifactStore store, string model, string file, CancellationToken cancellationToken = default) =>
        ReadAsync(store, PipelineWorkspace.UploadsContainer, model, file, cancellationToken);

    /// <summary>The recorded run of an upload to <paramref name="container"/>, or null when none was recorded yet.</summary>
    public static async Task<UploadRun?> ReadAsync(IArtifactStore store, string container, string model, string file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        string path = PathFor(model, file, container);
        var content = await store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        return content is null ? null : LeptonJson.Deserialize<UploadRun>(content.Data.ToString(), path);
    }

    /// <summary>Waits until the run of exactly these bytes (the dataset upload's ETag) is recorded, polling the store.</summary>
    public static Task<UploadRun> WaitAsync(IArtifactStore store, string model, string file, string etag, CancellationToken cancellationToken = default) =>
        WaitAsync(store, PipelineWorkspace.UploadsContainer, model, file, etag, cancellationToken);

    /// <summary>Waits until the run of exactly these bytes (the upload's ETag) is recorded, polling the store.</summary>
    public static async Task<UploadRun> WaitAsync(IArtifactStore store, string container, string model, string file, string etag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        while (true)
        {
            if (await ReadAsync(store, container, model, file, cancellationToken).ConfigureAwait(false) is { } run && run.ETag == etag)
            {
                return run;
            }

            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>
/// How a pipeline instance ended, recorded at <c>runs/outcomes/{instanceId}.json</c> by its last activity:
/// what store-only readers (<c>lepton datasets list</c>, the console) show for an upload's run.
/// </summary>
public sealed record RunOutcome(string InstanceId, string RunId, PipelineOutcome Outcome, int? Version, string Reason)
{
    public static string PathFor(string instanceId) => $"{PipelineWorkspace.RunsContainer}/outcomes/{instanceId}.json";

    public static async Task WriteAsync(IArtifactStore store, RunOutcome outcome, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(outcome);
        using var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(LeptonJson.Serialize(outcome)));
        await store.WriteAsync(PathFor(outcome.InstanceId), content, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The recorded outcome of an instance, or null while it runs (or when it failed).</summary>
    public static async Task<RunOutcome?> ReadAsync(IArtifactStore store, string instanceId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var content = await store.ReadAsync(PathFor(instanceId), cancellationToken).ConfigureAwait(false);
        return content is null ? null : LeptonJson.Deserialize<RunOutcome>(content.Data.ToString(), PathFor(instanceId));
    }
}
