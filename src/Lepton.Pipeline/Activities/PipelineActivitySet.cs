using Lepton.Core.Registry;
using Lepton.Pipeline.Compute;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lepton.Pipeline.Activities;

/// <summary>The pipeline's activities bound to their services, for any host to register or call.</summary>
public sealed class PipelineActivities(ModelRegistry registry, IComputeTarget compute, PipelineWorkspace workspace, ILoggerFactory? loggers = null)
{
    private readonly ILogger _log = (loggers ?? NullLoggerFactory.Instance).CreateLogger("Lepton.Pipeline.Activities");

    public PrepareDatasetActivity Prepare => field ??= new(workspace, _log);

    public SubmitTrainingActivity Submit => field ??= new(compute, _log);

    public GetTrainingStatusActivity Status => field ??= new(compute, workspace, _log);

    public CancelTrainingActivity Cancel => field ??= new(compute, _log);

    public ReadMetricsActivity ReadMetrics => field ??= new(workspace, _log);

    public ComputeCapacityActivity Capacity { get; } = new(compute);

    public ReadValidationHistoryActivity ValidationHistory { get; } = new(workspace);

    public FindPublishedActivity FindPublished { get; } = new(registry);

    public RecordOutcomeActivity RecordOutcome { get; } = new(workspace);

    public PublishActivity Publish => field ??= new(registry, workspace, _log);

    public PromoteActivity Promote => field ??= new(registry, _log);
}
