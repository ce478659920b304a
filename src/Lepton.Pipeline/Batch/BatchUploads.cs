using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Microsoft.DurableTask.Client;

namespace Lepton.Pipeline.Batch;

/// <summary>
/// An upload to <c>batch/{model}/{file}</c> (a .zip of pictures, or a table file of rows for a text or table
/// model) starts the batch job that <c>POST /api/models/{model}/batch</c> with that input would start (the
/// default chunk size and concurrency, the production version), once per upload content: the job's id comes
/// from the file's ETag, so a repeated event starts nothing new. Called by the Functions app's Event Grid
/// trigger and, locally, by its scan of the container. What became of the upload is recorded as an
/// <see cref="UploadRun"/> (container <c>batch</c>).
/// </summary>
public static class BatchUploads
{
    /// <summary>Starts the job of an upload; null (nothing recorded) when the path is not a job's input or the file is gone.</summary>
    public static async Task<UploadRun?> StartAsync(DurableTaskClient client, PipelineWorkspace workspace, string model, string file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(workspace);
        string path = $"{BatchPaths.Container}/{model}/{file}";
        if (BatchPaths.ParseUpload(path) is null || await workspace.Store.GetInfoAsync(path, cancellationToken).ConfigureAwait(false) is not { } upload)
        {
            return null;
        }

        UploadRun run;
        try
        {
            var (id, started) = await BatchEngine.StartAsync(client, new BatchRequest(model, path), workspace, cancellationToken).ConfigureAwait(false);
            run = new UploadRun(model, file, upload.ETag, id, started, DateTimeOffset.UtcNow, Container: BatchPaths.Container);
        }
        catch (Exception ex) when (ex is InvalidPipelineRequestException or InvalidNameException or InvalidArtifactPathException or ArtifactNotFoundException)
        {
            run = new UploadRun(model, file, upload.ETag, null, false, DateTimeOffset.UtcNow, ex.Message, BatchPaths.Container);
        }

        await UploadRun.WriteAsync(workspace.Store, run, cancellationToken).ConfigureAwait(false);
        return run;
    }
}
