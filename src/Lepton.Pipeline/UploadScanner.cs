using System.Collections.Concurrent;
using Lepton.Core.Storage;
using Lepton.Pipeline.Batch;

namespace Lepton.Pipeline;

/// <summary>
/// Finds uploads that are ready to start their work, by listing the store: dataset uploads
/// (<c>datasets/{model}/{archive}</c>, which start training runs) or, with <see cref="BatchPaths.Container"/>,
/// batch inputs (<c>batch/{model}/{file}</c>, which start batch jobs; a job's own files there are not
/// uploads, see <see cref="BatchPaths.ParseUpload"/>). An upload is ready once neither the file nor (for
/// datasets) the model's <c>lepton.json</c> has changed for <see cref="SettleTime"/> (so settings uploaded
/// in the same second as the archive, in either order, are part of its run), and it is reported once per
/// file and settings version (their ETags). Used where no event source exists (Azurite has no Event
/// Grid); a missed event cannot happen because every scan looks at every upload.
/// </summary>
public sealed class UploadScanner(IArtifactStore store, TimeSpan settleTime, string container = PipelineWorkspace.UploadsContainer)
{
    private readonly ConcurrentDictionary<string, bool> _seen = new(StringComparer.Ordinal);

    public TimeSpan SettleTime { get; } = settleTime;

    /// <summary>The container scanned: <c>datasets</c> or <c>batch</c>.</summary>
    public string Container { get; } = container;

    /// <summary>True for the upload formats a run accepts: archives (.zip, .tar.gz, .tgz) and table files (.csv, .tsv, .jsonl, .ndjson).</summary>
    public static bool IsArchive(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)
            || file.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase)
            || file.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase)
            || Core.Data.Tables.TableFile.IsTableFile(file);
    }

    /// <summary>
    /// The uploads that are settled at <paramref name="now"/> and not reported before. A caller that fails
    /// to start one calls <see cref="Forget"/> so the next scan reports it again.
    /// </summary>
    public async Task<IReadOnlyList<DatasetUpload>> ScanAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var archives = new List<ArtifactInfo>();
        var settings = new Dictionary<string, ArtifactInfo>(StringComparer.Ordinal);
        bool datasets = Container == PipelineWorkspace.UploadsContainer;
        await foreach (string path in store.ListAsync(Container + "/", cancellationToken).ConfigureAwait(false))
        {
            string[] parts = path.Split('/');
            if (parts.Length != 3)
            {
                continue;
            }

            bool isSettings = datasets && parts[2] == UploadSettings.FileName;
            if (!isSettings && !(datasets ? IsArchive(parts[2]) : BatchPaths.ParseUpload(path) is not null))
            {
                continue;
            }

            var info = await store.GetInfoAsync(path, cancellationToken).ConfigureAwait(false);
            if (info is null)
            {
                continue; // deleted while listing
            }

            if (isSettings)
            {
                settings[parts[1]] = info;
            }
            else
            {
                archives.Add(info);
            }
        }

        var ready = new List<DatasetUpload>();
        foreach (var archive in archives)
        {
            string[] parts = archive.Path.Split('/');
            settings.TryGetValue(parts[1], out var modelSettings);
            var changed = modelSettings is null || archive.LastModified > modelSettings.LastModified ? archive.LastModified : modelSettings.LastModified;
            if (now - changed < SettleTime)
            {
                continue; // still arriving: wait for the settings that may come with it
            }

            var upload = new DatasetUpload(parts[1], parts[2], archive.ETag, modelSettings?.ETag);
            if (_seen.TryAdd(upload.Key, true))
            {
                ready.Add(upload);
            }
        }

        return ready;
    }

    /// <summary>Reports the upload again at the next scan (its start failed for a passing reason).</summary>
    public void Forget(DatasetUpload upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        _seen.TryRemove(upload.Key, out _);
    }
}

/// <summary>One upload with the versions (ETags) of its bytes and of its model's settings file (datasets only).</summary>
public sealed record DatasetUpload(string Model, string File, string ETag, string? SettingsETag)
{
    public string Key => $"{Model}/{File}|{ETag}|{SettingsETag}";
}
