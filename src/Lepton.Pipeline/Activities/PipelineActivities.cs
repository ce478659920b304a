using Lepton.Core.Evaluation;
using Lepton.Core.Registry;
using Lepton.Inference;
using Lepton.Inference.Runtime;
using Lepton.Pipeline.Compute;
using Microsoft.DurableTask;

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
public sealed class PrepareDatasetActivity(PipelineWorkspace workspace) : PipelineActivity<PipelineRequest, PreparedDataset>
{
    public override async Task<PreparedDataset> ExecuteAsync(PipelineRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string upload = await workspace.LocalizeUploadAsync(input.Dataset).ConfigureAwait(false);
        var prepared = await Task.Run(() => DatasetPreparation.Prepare(upload, workspace.WorkFolder)).ConfigureAwait(false);
        await workspace.PublishPreparedAsync(prepared).ConfigureAwait(false);
        return prepared;
    }
}

/// <summary>Input of <see cref="SubmitTrainingActivity"/>.</summary>
public sealed record SubmitTrainingInput(PipelineRequest Request, PreparedDataset Dataset, string RunId, int Attempt);

/// <summary>Submits the training job to the compute target.</summary>
public sealed class SubmitTrainingActivity(IComputeTarget compute) : PipelineActivity<SubmitTrainingInput, TrainingJobHandle>
{
    public override Task<TrainingJobHandle> ExecuteAsync(SubmitTrainingInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var r = input.Request;
        return compute.SubmitAsync(new TrainingJobSubmission(
            input.RunId, input.Attempt, input.Dataset.Folder, input.Dataset.StorePath, r.Architecture, r.Epochs, r.BatchSize, r.LearningRate, r.Seed,
            r.TrainLimit, r.TestLimit, r.CrashFirstAttemptAfterEpoch));
    }
}

/// <summary>
/// Polls the training job's state and progress. A cloud job's state comes from its compute target; its
/// progress (epoch, validation accuracy) from the status.json the trainer keeps in the run's folder in the store.
/// </summary>
public sealed class GetTrainingStatusActivity(IComputeTarget compute, PipelineWorkspace workspace) : PipelineActivity<TrainingJobHandle, TrainingJobStatus>
{
    public override async Task<TrainingJobStatus> ExecuteAsync(TrainingJobHandle input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var status = await compute.GetStatusAsync(input).ConfigureAwait(false);
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
            var trainer = Core.Contracts.LeptonJson.Deserialize<Core.Contracts.TrainingStatus>(progress.Data.ToString(), "status.json");
            return status with { Epoch = trainer.Epoch, TotalEpochs = trainer.TotalEpochs, ValidationAccuracy = trainer.Latest?.ValidationAccuracy };
        }
        catch (InvalidDataException)
        {
            return status; // being rewritten: the next poll reads it
        }
    }
}

/// <summary>Stops the training job on its compute target.</summary>
public sealed class CancelTrainingActivity(IComputeTarget compute) : PipelineActivity<TrainingJobHandle, bool>
{
    public override async Task<bool> ExecuteAsync(TrainingJobHandle input)
    {
        await compute.CancelAsync(input).ConfigureAwait(false);
        return true;
    }
}

/// <summary>Evaluates the exported model.onnx with ONNX Runtime on the prepared dataset's test split.</summary>
public sealed class EvaluateActivity(PipelineWorkspace workspace) : PipelineActivity<EvaluationRequest, ClassificationReport>
{
    public override async Task<ClassificationReport> ExecuteAsync(EvaluationRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        string folder = await workspace.LocalPreparedAsync(input.Dataset).ConfigureAwait(false);
        string modelPath = await workspace.LocalModelAsync(input.Job).ConfigureAwait(false);
        return await Task.Run(() =>
        {
            var dataset = Core.Data.MnistDataset.Load(folder);
            using var model = new OnnxClassifier(modelPath);
            return model.Evaluate(dataset.Test.Take(input.TestLimit), dataset.LabelNames);
        }).ConfigureAwait(false);
    }
}

/// <summary>Publishes the trained model as the next version, with its metrics and where it came from.</summary>
public sealed class PublishActivity(ModelRegistry registry, PipelineWorkspace workspace) : PipelineActivity<PublishRequest, int>
{
    public override async Task<int> ExecuteAsync(PublishRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        byte[] model = await File.ReadAllBytesAsync(await workspace.LocalModelAsync(input.Job).ConfigureAwait(false)).ConfigureAwait(false);
        var description = ModelInspector.Describe(model) with
        {
            Metrics = ManifestMetrics.From(input.Evaluation),
            DatasetVersion = input.Dataset.Version,
            RunId = input.RunId,
        };
        var card = await PublishCard.MakeAsync(workspace, input, model, description).ConfigureAwait(false); // written with the version, before its manifest
        var manifest = await registry.PublishAsync(input.ModelName, new MemoryStream(model), description, card).ConfigureAwait(false);
        return manifest.Version;
    }
}

/// <summary>
/// The quality gate (champion/challenger): promote to production only when the new version meets the
/// minimum accuracy and is not worse than the current production version.
/// </summary>
public sealed class PromoteActivity(ModelRegistry registry) : PipelineActivity<PromotionRequest, PromotionDecision>
{
    public override async Task<PromotionDecision> ExecuteAsync(PromotionRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var aliases = await registry.GetAliasesAsync(input.ModelName).ConfigureAwait(false);
        int? current = aliases.Aliases.TryGetValue(ModelRegistry.DefaultAlias, out int v) ? v : null;
        if (input.FrechetDistance is double distance)
        {
            double? championDistance = current is int c
                ? (await registry.GetManifestAsync(input.ModelName, c).ConfigureAwait(false)).Metrics.TryGetValue(ManifestMetrics.FrechetDistance, out double d) ? d : null
                : null;
            var gate = GeneratorGate.Decide(distance, input.MaximumFrechetDistance, current, championDistance);
            if (gate.Promoted)
            {
                await registry.SetAliasAsync(input.ModelName, ModelRegistry.DefaultAlias, input.Version).ConfigureAwait(false);
            }

            return gate;
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

        await registry.SetAliasAsync(input.ModelName, ModelRegistry.DefaultAlias, input.Version).ConfigureAwait(false);
        return new PromotionDecision(true, current, current is int previous
            ? $"accuracy {input.Accuracy:F4} meets the minimum {input.MinimumAccuracy:F4} and is not worse than version {previous}"
            : $"accuracy {input.Accuracy:F4} meets the minimum {input.MinimumAccuracy:F4}; first production version");
    }
}
