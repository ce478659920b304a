using Lepton.Core.Contracts;
using Lepton.Core.Storage;

namespace Lepton.Pipeline;

/// <summary>
/// Where pipeline files live: the artifact store (shared by every host and compute target:
/// <c>datasets/</c> uploads, <c>prepared/{version}/</c>, <c>runs/{runId}/</c>) and a local work folder
/// for what an activity needs on disk. Activities may run on different machines (Azure Functions
/// instances), so anything not found locally is fetched from the store.
/// </summary>
public sealed class PipelineWorkspace(IArtifactStore store, string workFolder)
{
    public const string UploadsContainer = "datasets";
    public const string PreparedContainer = "prepared";
    public const string RunsContainer = RunFolder.Runs;

    public IArtifactStore Store => store;

    public string WorkFolder { get; } = Path.GetFullPath(workFolder);

    /// <summary>True for an upload that lives in the store (<c>datasets/{model}/{file}</c>) rather than on this machine.</summary>
    public static bool IsStoredUpload(string dataset) =>
        dataset.StartsWith(UploadsContainer + "/", StringComparison.Ordinal) && !Directory.Exists(dataset) && !File.Exists(dataset);

    /// <summary>A local path for the upload: itself, or a download of the stored blob.</summary>
    public async Task<string> LocalizeUploadAsync(string dataset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!IsStoredUpload(dataset))
        {
            return dataset;
        }

        string local = Path.Combine(WorkFolder, "uploads", dataset[(UploadsContainer.Length + 1)..].Replace('/', '_'));
        await DownloadAsync(dataset, local, cancellationToken).ConfigureAwait(false);
        return local;
    }

    /// <summary>
    /// A stored file (a batch job's input) at version <paramref name="etag"/> as a local file of the work
    /// folder, downloaded once per version (the chunks of a job on one machine share it); the file's
    /// extension is kept. Throws when the stored file is no longer that version.
    /// </summary>
    public async Task<string> DownloadToWorkAsync(string path, string etag, CancellationToken cancellationToken = default)
    {
        ArtifactPath.Validate(path);
        ArgumentNullException.ThrowIfNull(etag);
        string version = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(etag)))[..12];
        string extension = Path.GetExtension(path);
        string local = Path.Combine(WorkFolder, "downloads", $"{path[..^extension.Length].Replace('/', '_')}@{version}{extension}");
        if (File.Exists(local))
        {
            return local;
        }

        if ((await store.GetInfoAsync(path, cancellationToken).ConfigureAwait(false))?.ETag != etag)
        {
            throw new ArtifactNotFoundException($"{path} (the version {etag} this job reads was replaced or deleted)");
        }

        await DownloadAsync(path, local, cancellationToken).ConfigureAwait(false);
        if ((await store.GetInfoAsync(path, cancellationToken).ConfigureAwait(false))?.ETag != etag)
        {
            File.Delete(local); // replaced while it was read: the bytes may be of either version
            throw new ArtifactNotFoundException($"{path} (the version {etag} this job reads was replaced while it was read)");
        }

        return local;
    }

    /// <summary>Copies the canonical dataset folder to <c>prepared/{version}/</c> in the store, once.</summary>
    public async Task PublishPreparedAsync(PreparedDataset dataset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (await store.GetInfoAsync($"{dataset.StorePath}/dataset.json", cancellationToken).ConfigureAwait(false) is not null)
        {
            return;
        }

        // dataset.json last: its presence means the folder is complete.
        foreach (string file in Directory.GetFiles(dataset.Folder).OrderBy(f => Path.GetFileName(f) == "dataset.json" ? 1 : 0))
        {
            await using var input = File.OpenRead(file);
            await store.WriteAsync($"{dataset.StorePath}/{Path.GetFileName(file)}", input, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The prepared dataset on this machine, fetched from the store when another machine prepared it.</summary>
    public async Task<string> LocalPreparedAsync(PreparedDataset dataset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (File.Exists(Path.Combine(dataset.Folder, "dataset.json")))
        {
            return dataset.Folder;
        }

        string local = Path.Combine(WorkFolder, "prepared", dataset.Version);
        await foreach (string path in store.ListAsync(dataset.StorePath + "/", cancellationToken).ConfigureAwait(false))
        {
            await DownloadAsync(path, Path.Combine(local, Path.GetFileName(path)), cancellationToken).ConfigureAwait(false);
        }

        return local;
    }

    /// <summary>The trained model.onnx on this machine: in the job's local output folder, or fetched from <c>runs/{runId}/</c>.</summary>
    public async Task<string> LocalModelAsync(TrainingJobHandle job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        string local = new RunFolder(job.OutputFolder).ModelPath;
        if (File.Exists(local) || job.OutputStorePath is null)
        {
            return local;
        }

        string downloaded = RunFolder.Under(WorkFolder, job.JobId).ModelPath;
        await DownloadAsync($"{job.OutputStorePath}/{RunFolder.Model}", downloaded, cancellationToken).ConfigureAwait(false);
        return downloaded;
    }

    /// <summary>A small file of the job's output folder (metrics.json, status.json) as text, or null when it is not there.</summary>
    public async Task<string?> ReadRunFileAsync(TrainingJobHandle job, string file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        string local = Path.Combine(job.OutputFolder, file);
        if (job.OutputStorePath is null || File.Exists(local))
        {
            return File.Exists(local) ? await File.ReadAllTextAsync(local, cancellationToken).ConfigureAwait(false) : null;
        }

        var stored = await store.ReadAsync($"{job.OutputStorePath}/{file}", cancellationToken).ConfigureAwait(false);
        return stored?.Data.ToString();
    }

    private async Task DownloadAsync(string path, string local, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(local)!);
        await using var input = await store.OpenReadAsync(path, cancellationToken).ConfigureAwait(false);
        string temp = local + ".tmp-" + Guid.NewGuid().ToString("N");
        await using (var output = File.Create(temp))
        {
            await input.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
        }

        File.Move(temp, local, overwrite: true);
    }
}
