using Microsoft.Extensions.Logging;

namespace Lepton.Pipeline;

/// <summary>What the pipeline's activities, compute targets and orchestrator log (message templates, one place).</summary>
public static partial class PipelineLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Prepared dataset {DatasetVersion} from {Dataset}: {TrainExamples} train, {TestExamples} test images (reused: {Reused})")]
    public static partial void Prepared(this ILogger logger, string datasetVersion, string dataset, int trainExamples, int testExamples, bool reused);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Submitted training job {JobName} (run {RunId}, attempt {Attempt}) to {Target}: {Architecture}, {Epochs} epoch(s)")]
    public static partial void Submitted(this ILogger logger, string jobName, string runId, int attempt, string target, string architecture, int epochs);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Training job {JobName} ended {State}: {Message}")]
    public static partial void JobEnded(this ILogger logger, string jobName, string state, string? message);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Run {JobName} metrics: accuracy {Accuracy}, Fréchet distance {FrechetDistance}")]
    public static partial void Metrics(this ILogger logger, string jobName, double? accuracy, double? frechetDistance);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Published {Model} version {Version} from run {RunId}")]
    public static partial void Published(this ILogger logger, string model, int version, string runId);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information, Message = "Run {RunId} was already published as {Model} version {Version}; not publishing again")]
    public static partial void AlreadyPublished(this ILogger logger, string model, int version, string runId);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Gate for {Model} version {Version}: promoted {Promoted} ({Reason})")]
    public static partial void Gate(this ILogger logger, string model, int version, bool promoted, string reason);

    [LoggerMessage(EventId = 108, Level = LogLevel.Information, Message = "Pipeline {InstanceId} ({Model}): {Stage}")]
    public static partial void Stage(this ILogger logger, string instanceId, string model, string stage);

    [LoggerMessage(EventId = 109, Level = LogLevel.Warning, Message = "Pipeline {InstanceId} ({Model}): training attempt {Attempt} failed: {Message}")]
    public static partial void AttemptFailed(this ILogger logger, string instanceId, string model, int attempt, string? message);

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "Canceled training job {JobName}")]
    public static partial void Canceled(this ILogger logger, string jobName);
}
