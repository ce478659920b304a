using Lepton.Pipeline;
using Lepton.Pipeline.Activities;
using Lepton.Pipeline.Batch;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Lepton.Functions;

/// <summary>
/// Local only: starts the run of every dataset upload by listing <c>datasets/</c>, and the batch job of
/// every batch upload by listing <c>batch/</c>, every two seconds. Azurite has no Event Grid, and the host's
/// container-scan blob trigger is best-effort (it keeps a time watermark and misses blobs written in the same
/// second); a scan of the whole container misses nothing, and starting the same run or job twice is harmless
/// (their ids come from the content and the settings).
/// </summary>
public sealed partial class LocalUploadFunctions(
    PipelineActivities activities, PipelineWorkspace workspace, PipelineDefaults defaults, UploadScanners scanners, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger<LocalUploadFunctions>();

    [Function("DatasetUploadScan")]
    public Task ScanAsync([TimerTrigger("*/2 * * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        var pipeline = new PipelineFunctions(activities, workspace, defaults, loggers.CreateLogger<PipelineFunctions>());
        return StartAllAsync(scanners.Datasets, upload => pipeline.StartForUploadAsync(upload.Model, upload.File, client), cancellationToken);
    }

    [Function("BatchUploadScan")]
    public Task ScanBatchAsync([TimerTrigger("*/2 * * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        return StartAllAsync(scanners.Batch, async upload =>
        {
            var run = await BatchUploads.StartAsync(client, workspace, upload.Model, upload.File, cancellationToken).ConfigureAwait(false);
            LogBatchUpload(upload.Model, upload.File, run?.InstanceId, run?.Error);
            return run?.InstanceId;
        }, cancellationToken);
    }

    private async Task StartAllAsync(UploadScanner scanner, Func<DatasetUpload, Task<string?>> start, CancellationToken cancellationToken)
    {
        foreach (var upload in await scanner.ScanAsync(DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await start(upload).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                scanner.Forget(upload);
                LogRetry(ex, scanner.Container, upload.Model, upload.File);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upload {Container}/{Model}/{File}: its work could not be started now; trying again at the next scan")]
    private partial void LogRetry(Exception exception, string container, string model, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Upload batch/{Model}/{File}: batch job {InstanceId} {Error}")]
    private partial void LogBatchUpload(string model, string file, string? instanceId, string? error);
}
