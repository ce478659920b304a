using Lepton.Pipeline;
using Lepton.Pipeline.Activities;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Lepton.Functions;

/// <summary>
/// Local only: starts the run of every dataset upload by listing <c>datasets/</c> every two seconds.
/// Azurite has no Event Grid, and the host's container-scan blob trigger is best-effort (it keeps a time
/// watermark and misses blobs written in the same second); a scan of the whole container misses nothing,
/// and starting the same run twice is harmless (run ids come from the content and the settings).
/// </summary>
public sealed partial class LocalUploadFunctions(
    PipelineActivities activities, PipelineWorkspace workspace, PipelineDefaults defaults, UploadScanner scanner, ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger<LocalUploadFunctions>();

    [Function("DatasetUploadScan")]
    public async Task ScanAsync([TimerTrigger("*/2 * * * * *")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var pipeline = new PipelineFunctions(activities, workspace, defaults, loggers.CreateLogger<PipelineFunctions>());
        foreach (var upload in await scanner.ScanAsync(DateTimeOffset.UtcNow, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await pipeline.StartForUploadAsync(upload.Model, upload.File, client).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                scanner.Forget(upload);
                LogRetry(ex, upload.Model, upload.File);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Upload {Model}/{File}: the run could not be started now; trying again at the next scan")]
    private partial void LogRetry(Exception exception, string model, string file);
}
