using Lepton.Core.Registry;
using Lepton.Pipeline.Compute;

namespace Lepton.Pipeline.Activities;

/// <summary>The pipeline's activities bound to their services, for any host to register or call.</summary>
public sealed class PipelineActivities(ModelRegistry registry, IComputeTarget compute, PipelineWorkspace workspace)
{
    public PrepareDatasetActivity Prepare { get; } = new(workspace);

    public SubmitTrainingActivity Submit { get; } = new(compute);

    public GetTrainingStatusActivity Status { get; } = new(compute, workspace);

    public CancelTrainingActivity Cancel { get; } = new(compute);

    public ReadMetricsActivity ReadMetrics { get; } = new(workspace);

    public FindPublishedActivity FindPublished { get; } = new(registry);

    public RecordOutcomeActivity RecordOutcome { get; } = new(workspace);

    public PublishActivity Publish { get; } = new(registry, workspace);

    public PromoteActivity Promote { get; } = new(registry);
}
