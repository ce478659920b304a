using Lepton.Core.Data.Tables;
using Lepton.Core.Evaluation;
using Lepton.Core.Registry;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;
using Lepton.Pipeline.Compute;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Lepton.Pipeline.Activities;

/// <summary>
/// An activity whose work does not depend on the Durable Task context, so that the Durable Task worker
/// (through <see cref="RunAsync"/>) and Azure Functions activity triggers (through
/// <see cref="ExecuteAsync"/>) run the same code.
/// </summary>
public abstract class PipelineActivity<TInput, TOutput> : TaskActivity<TInput, TOutput>
{
    public sealed override Task<TOutput> RunAsync(TaskActivityContext context, TInput input) => ExecuteAsync(input);

    public abstract Task<TOutput> ExecuteAsync(TInput input);
}

/// <summary>Validates the upload, computes its dataset version and writes the canonical dataset folder (once per version).</summary>
public sealed class PrepareDatasetActivity(PipelineWorkspace workspace, ILogger? logger = null) : PipelineActivity<PipelineRequest, PreparedDataset>
{
    public override async Task<PreparedDataset> ExecuteAsync(PipelineRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string upload = await workspace.LocalizeUploadAsync(input.Dataset).ConfigureAwait(false);
        // The class names come from the name the data was given (datasets/{model}/{file}: the file), not the local copy's.
        var prepared = await Task.Run(() => DatasetPreparation.Prepare(upload, workspace.WorkFolder, DatasetPreparation.SourceName(input.Dataset), ImageFolderOptions.From(input.Training), TableOptions.From(input.Training))).ConfigureAwait(false);
        await workspace.PublishPreparedAsync(prepared).ConfigureAwait(false);
        (logger ?? NullLogger.Instance).Prepared(prepared.Version, input.Dataset, prepared.TrainExamples, prepared.TestExamples, prepared.Reused);
        return prepared;
    }
}

/// <summary>Input of <see cref="SubmitTrainingActivity"/>.</summary>
public sealed record SubmitTrainingInput(PipelineRequest Request, PreparedDataset Dataset, string RunId, string JobName, int Attempt, int? SharedBy = null);

/// <summary>Submits the training job to the compute target: the request's job spec, as the target's job.json.</summary>
public sealed class SubmitTrainingActivity(IComputeTarget compute, ILogger? logger = null) : PipelineActivity<SubmitTrainingInput, TrainingJobHandle>
{
    public override async Task<TrainingJobHandle> ExecuteAsync(SubmitTrainingInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var r = input.Request;
        var job = await compute.SubmitAsync(new TrainingJobSubmission(
            input.RunId, input.JobName, input.Attempt, input.Dataset.Folder, input.Dataset.StorePath, r.Training, r.CrashFirstAttemptAfterEpoch, input.SharedBy)).ConfigureAwait(false);
        (logger ?? NullLogger.Instance).Submitted(job.JobId, input.RunId, input.Attempt, compute.Name, r.Training.Architecture, r.Training.Epochs);
        return job;
    }
}

/// <summary>
/// Polls the training job's state and progress. A cloud job's state comes from its compute target; its
/// progress (epoch, validation accuracy) from the status.json the trainer keeps in the run's folder in the store.
/// </summary>
public sealed class GetTrainingStatusActivity(IComputeTarget compute, PipelineWorkspace workspace, ILogger? logger = null) : PipelineActivity<TrainingJobHandle, TrainingJobStatus>
{
    public override async Task<TrainingJobStatus> ExecuteAsync(TrainingJobHandle input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var status = await compute.GetStatusAsync(input).ConfigureAwait(false);
        if (status.IsTerminal)
        {
            (logger ?? NullLogger.Instance).JobEnded(input.JobId, status.State.ToString(), status.Message);
        }

        if (input.OutputStorePath is null || status.Epoch > 0)
        {
            return status;
        }

        var progress = await workspace.Store.ReadAsync($"{input.OutputStorePath}/status.json").ConfigureAwait(false);
        if (progress is null)
        {
            return status;
        }

        try
        {
            var trainer = Core.Contracts.LeptonJson.Deserialize<Core.Contracts.TrainingStatus>(progress.Data.ToString(), Core.Contracts.RunFolder.Status);
            return status with { Epoch = trainer.Epoch, TotalEpochs = trainer.TotalEpochs, ValidationAccuracy = trainer.Latest?.ValidationAccuracy };
        }
        catch (InvalidDataException)
        {
            return status; // being rewritten: the next poll reads it
        }
    }
}

/// <summary>Stops the training job on its compute target.</summary>
public sealed class CancelTrainingActivity(IComputeTarget compute, ILogger? logger = null) : PipelineActivity<TrainingJobHandle, bool>
{
    public override async Task<bool> ExecuteAsync(TrainingJobHandle input)
    {
        ArgumentNullException.ThrowIfNull(input);
        await compute.CancelAsync(input).ConfigureAwait(false);
        (logger ?? NullLogger.Instance).Canceled(input.JobId);
        return true;
    }
}

/// <summary>
/// The run's evaluation: the trainer's metrics.json (its ONNX Runtime evaluation of the exported model
/// on the test split, or a generator's sample quality). Read, not recomputed: the model is evaluated once.
/// </summary>
public sealed class ReadMetricsActivity(PipelineWorkspace workspace, ILogger? logger = null) : PipelineActivity<TrainingJobHandle, RunMetrics>
{
    public override async Task<RunMetrics> ExecuteAsync(TrainingJobHandle input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string json = await workspace.ReadRunFileAsync(input, Core.Contracts.RunFolder.Metrics).ConfigureAwait(false)
            ?? throw new InvalidDataException($"the training job {input.JobId} succeeded but wrote no metrics.json");
        var metrics = RunMetrics.Parse(json, $"{input.JobId}/metrics.json");
        (logger ?? NullLogger.Instance).Metrics(input.JobId, metrics.Accuracy, metrics.FrechetDistance);
        return metrics;
    }
}

/// <summary>How many training jobs the compute target runs at once (a sweep's default), at most the trials asked for.</summary>
public sealed class ComputeCapacityActivity(IComputeTarget compute) : PipelineActivity<int, int>
{
    public override async Task<int> ExecuteAsync(int input) =>
        Math.Clamp(await compute.CapacityAsync().ConfigureAwait(false), 1, Math.Max(1, input));
}

/// <summary>A finished job's validation accuracy after each epoch, from its history.json (null when it wrote none).</summary>
public sealed class ReadValidationHistoryActivity(PipelineWorkspace workspace) : PipelineActivity<TrainingJobHandle, IReadOnlyList<double?>?>
{
    public override async Task<IReadOnlyList<double?>?> ExecuteAsync(TrainingJobHandle input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string? json = await workspace.ReadRunFileAsync(input, Core.Contracts.RunFolder.History).ConfigureAwait(false);
        if (json is null)
        {
            return null;
        }

        var history = Core.Contracts.LeptonJson.Deserialize<Core.Contracts.TrainingHistory>(json, $"{input.JobId}/{Core.Contracts.RunFolder.History}");
        return history.Epochs.OrderBy(e => e.Epoch).Select(e => e.ValidationAccuracy).ToArray();
    }
}

/// <summary>Input of <see cref="FindPublishedActivity"/>.</summary>
public sealed record FindPublishedInput(string ModelName, string RunId);

/// <summary>The version already published from a run (the same data and settings), or null.</summary>
public sealed class FindPublishedActivity(ModelRegistry registry) : PipelineActivity<FindPublishedInput, PublishedVersion?>
{
    public override async Task<PublishedVersion?> ExecuteAsync(FindPublishedInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var manifest = await registry.FindByRunAsync(input.ModelName, input.RunId).ConfigureAwait(false);
        return manifest is null ? null : PublishedVersion.From(manifest);
    }
}

/// <summary>
/// Publishes the trained model as the next version, with its metrics and where it came from. Idempotent
/// per run: when a version of this run exists already (a retried activity, a re-run), that one is returned.
/// </summary>
public sealed class PublishActivity(ModelRegistry registry, PipelineWorkspace workspace, ILogger? logger = null) : PipelineActivity<PublishRequest, int>
{
    public override async Task<int> ExecuteAsync(PublishRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var log = logger ?? NullLogger.Instance;
        if (await registry.FindByRunAsync(input.ModelName, input.RunId).ConfigureAwait(false) is { } published)
        {
            log.AlreadyPublished(input.ModelName, published.Version, input.RunId);
            return published.Version;
        }

        string modelPath = await workspace.LocalModelAsync(input.Job).ConfigureAwait(false); // fetched once, for the version and its card
        byte[] model = await File.ReadAllBytesAsync(modelPath).ConfigureAwait(false);
        var description = input.Metrics.Describe(ModelInspector.Describe(model), input.RunId, input.Dataset.Version);
        if (input.Sweep is { } sweep)
        {
            description = description with { Sweep = new SweepOrigin(sweep.SweepId, sweep.BestTrial, sweep.Best.Settings, sweep.Best.RunId, sweep.Trials.Count) };
            await workspace.Store.WriteAsync($"{Core.Contracts.RunFolder.StorePath(sweep.SweepId)}/{SweepOutcome.FileName}",
                new MemoryStream(System.Text.Encoding.UTF8.GetBytes(Core.Contracts.LeptonJson.Serialize(sweep))), null).ConfigureAwait(false);
        }

        var card = await PublishCard.MakeAsync(workspace, input, modelPath, model, description).ConfigureAwait(false); // written with the version, before its manifest
        var manifest = await registry.PublishAsync(input.ModelName, new MemoryStream(model), description, card).ConfigureAwait(false);
        log.Published(input.ModelName, manifest.Version, input.RunId);
        return manifest.Version;
    }
}

/// <summary>Input of <see cref="RecordOutcomeActivity"/>.</summary>
public sealed record RecordOutcomeInput(string InstanceId, PipelineResult Result);

/// <summary>Records how the instance ended (<see cref="RunOutcome"/>) for readers of the store.</summary>
public sealed class RecordOutcomeActivity(PipelineWorkspace workspace) : PipelineActivity<RecordOutcomeInput, bool>
{
    public override async Task<bool> ExecuteAsync(RecordOutcomeInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var r = input.Result;
        await RunOutcome.WriteAsync(workspace.Store, new RunOutcome(input.InstanceId, r.RunId, r.Outcome, r.Version, r.Reason)).ConfigureAwait(false);
        return true;
    }
}

/// <summary>
/// The quality gate (champion/challenger): promote to production only when the new version meets the
/// minimum accuracy and is not worse than the current production version.
/// </summary>
public sealed class PromoteActivity(ModelRegistry registry, ILogger? logger = null) : PipelineActivity<PromotionRequest, PromotionDecision>
{
    public override async Task<PromotionDecision> ExecuteAsync(PromotionRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        PromotionDecision decision;
        int attempt = 0;
        while (true)
        {
            try
            {
                decision = await DecideAsync(input).ConfigureAwait(false);
                break;
            }
            catch (AliasMovedException) when (++attempt < 3)
            {
                // another run promoted between the gate's read and the move: decide again against the new champion
            }
        }

        (logger ?? NullLogger.Instance).Gate(input.ModelName, input.Version, decision.Promoted, decision.Reason);
        return decision;
    }

    /// <summary>Moves production to the version by the one policy (it loads; production is still <paramref name="current"/>).</summary>
    private async Task<PromotionDecision?> RefusedByPolicyAsync(PromotionRequest input, int? current)
    {
        try
        {
            await ModelPromotion.PromoteAsync(registry, input.ModelName, ModelRegistry.DefaultAlias, input.Version, AliasExpectation.At(current)).ConfigureAwait(false);
            return null;
        }
        catch (InputException refused)
        {
            return new PromotionDecision(false, current, refused.Message);
        }
    }

    private async Task<PromotionDecision> DecideAsync(PromotionRequest input)
    {
        var aliases = await registry.GetAliasesAsync(input.ModelName).ConfigureAwait(false);
        int? current = aliases.Aliases.TryGetValue(ModelRegistry.DefaultAlias, out int v) ? v : null;
        if (input.FrechetDistance is double distance)
        {
            double? championDistance = current is int c
                ? (await registry.GetManifestAsync(input.ModelName, c).ConfigureAwait(false)).Metrics.TryGetValue(ManifestMetrics.FrechetDistance, out double d) ? d : null
                : null;
            var gate = GeneratorGate.Decide(distance, input.MaximumFrechetDistance, current, championDistance);
            return gate.Promoted ? await RefusedByPolicyAsync(input, current).ConfigureAwait(false) ?? gate : gate;
        }

        if (input.Accuracy < input.MinimumAccuracy)
        {
            return new PromotionDecision(false, current, $"accuracy {input.Accuracy:F4} is below the minimum {input.MinimumAccuracy:F4}");
        }

        if (current is int champion)
        {
            var manifest = await registry.GetManifestAsync(input.ModelName, champion).ConfigureAwait(false);
            double championAccuracy = manifest.Metrics.GetValueOrDefault(ManifestMetrics.Accuracy);
            if (input.Accuracy < championAccuracy)
            {
                return new PromotionDecision(false, current, $"accuracy {input.Accuracy:F4} is worse than production (version {champion}: {championAccuracy:F4})");
            }
        }

        if (await RefusedByPolicyAsync(input, current).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        return new PromotionDecision(true, current, current is int previous
            ? $"accuracy {input.Accuracy:F4} meets the minimum {input.MinimumAccuracy:F4} and is not worse than version {previous}"
            : $"accuracy {input.Accuracy:F4} meets the minimum {input.MinimumAccuracy:F4}; first production version");
    }
}
