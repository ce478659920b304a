using Lepton.Core.Evaluation;
using Lepton.Core.Registry;
using Lepton.Inference;
using Lepton.Inference.Runtime;
using Lepton.Pipeline.Compute;
using Microsoft.DurableTask;

namespace Lepton.Pipeline.Activities;

/// <summary>Validates the upload, computes its dataset version and writes the canonical dataset folder (once per version).</summary>
public sealed class PrepareDatasetActivity(string workFolder) : TaskActivity<PipelineRequest, PreparedDataset>
{
    public override Task<PreparedDataset> RunAsync(TaskActivityContext context, PipelineRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Task.Run(() => DatasetPreparation.Prepare(input.Dataset, workFolder));
    }
}

/// <summary>Input of <see cref="SubmitTrainingActivity"/>.</summary>
public sealed record SubmitTrainingInput(PipelineRequest Request, PreparedDataset Dataset, string RunId, int Attempt);

/// <summary>Submits the training job to the compute target.</summary>
public sealed class SubmitTrainingActivity(IComputeTarget compute) : TaskActivity<SubmitTrainingInput, TrainingJobHandle>
{
    public override Task<TrainingJobHandle> RunAsync(TaskActivityContext context, SubmitTrainingInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var r = input.Request;
        return compute.SubmitAsync(new TrainingJobSubmission(
            input.RunId, input.Attempt, input.Dataset.Folder, r.Architecture, r.Epochs, r.BatchSize, r.LearningRate, r.Seed,
            r.TrainLimit, r.TestLimit, r.CrashFirstAttemptAfterEpoch));
    }
}

/// <summary>Polls the training job's state and progress.</summary>
public sealed class GetTrainingStatusActivity(IComputeTarget compute) : TaskActivity<TrainingJobHandle, TrainingJobStatus>
{
    public override Task<TrainingJobStatus> RunAsync(TaskActivityContext context, TrainingJobHandle input) => compute.GetStatusAsync(input);
}

/// <summary>Stops the training job on its compute target.</summary>
public sealed class CancelTrainingActivity(IComputeTarget compute) : TaskActivity<TrainingJobHandle, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, TrainingJobHandle input)
    {
        await compute.CancelAsync(input).ConfigureAwait(false);
        return true;
    }
}

/// <summary>Evaluates the exported model.onnx with ONNX Runtime on the prepared dataset's test split.</summary>
public sealed class EvaluateActivity : TaskActivity<EvaluationRequest, ClassificationReport>
{
    public override Task<ClassificationReport> RunAsync(TaskActivityContext context, EvaluationRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Task.Run(() =>
        {
            var dataset = Core.Data.MnistDataset.Load(input.Dataset.Folder);
            using var model = new OnnxClassifier(Path.Combine(input.Job.OutputFolder, "model.onnx"));
            return model.Evaluate(dataset.Test.Take(input.TestLimit), dataset.LabelNames);
        });
    }
}

/// <summary>Publishes the trained model as the next version, with its metrics and where it came from.</summary>
public sealed class PublishActivity(ModelRegistry registry) : TaskActivity<PublishRequest, int>
{
    public override async Task<int> RunAsync(TaskActivityContext context, PublishRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        byte[] model = await File.ReadAllBytesAsync(Path.Combine(input.Job.OutputFolder, "model.onnx")).ConfigureAwait(false);
        var description = ModelInspector.Describe(model) with
        {
            Metrics = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["accuracy"] = input.Evaluation.Accuracy,
                ["macroF1"] = input.Evaluation.MacroF1,
                ["testExamples"] = input.Evaluation.Examples,
            },
            DatasetVersion = input.Dataset.Version,
            RunId = input.RunId,
        };
        var manifest = await registry.PublishAsync(input.ModelName, new MemoryStream(model), description).ConfigureAwait(false);
        return manifest.Version;
    }
}

/// <summary>
/// The quality gate (champion/challenger): promote to production only when the new version meets the
/// minimum accuracy and is not worse than the current production version.
/// </summary>
public sealed class PromoteActivity(ModelRegistry registry) : TaskActivity<PromotionRequest, PromotionDecision>
{
    public override async Task<PromotionDecision> RunAsync(TaskActivityContext context, PromotionRequest input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var aliases = await registry.GetAliasesAsync(input.ModelName).ConfigureAwait(false);
        int? current = aliases.Aliases.TryGetValue(ModelRegistry.DefaultAlias, out int v) ? v : null;
        if (input.Accuracy < input.MinimumAccuracy)
        {
            return new PromotionDecision(false, current, $"accuracy {input.Accuracy:F4} is below the minimum {input.MinimumAccuracy:F4}");
        }

        if (current is int champion)
        {
            var manifest = await registry.GetManifestAsync(input.ModelName, champion).ConfigureAwait(false);
            double championAccuracy = manifest.Metrics.GetValueOrDefault("accuracy");
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
