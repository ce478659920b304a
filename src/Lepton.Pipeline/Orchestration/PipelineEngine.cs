using System.Security.Cryptography;
using System.Text;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Pipeline.Activities;
using Lepton.Pipeline.Compute;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Lepton.Pipeline.Orchestration;

/// <summary>Registers the pipeline with a Durable Task worker and starts runs without duplicates.</summary>
public static class PipelineEngine
{
    /// <summary>Adds the orchestrator and its activities, bound to a registry, a compute target and a workspace.</summary>
    public static DurableTaskRegistry AddTrainingPipeline(this DurableTaskRegistry tasks, ModelRegistry registry, IComputeTarget compute, PipelineWorkspace workspace)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var activities = new PipelineActivities(registry, compute, workspace);
        tasks.AddOrchestrator<TrainingPipeline>();
        tasks.AddActivity(nameof(PrepareDatasetActivity), activities.Prepare);
        tasks.AddActivity(nameof(SubmitTrainingActivity), activities.Submit);
        tasks.AddActivity(nameof(GetTrainingStatusActivity), activities.Status);
        tasks.AddActivity(nameof(CancelTrainingActivity), activities.Cancel);
        tasks.AddActivity(nameof(EvaluateActivity), activities.Evaluate);
        tasks.AddActivity(nameof(PublishActivity), activities.Publish);
        tasks.AddActivity(nameof(PromoteActivity), activities.Promote);
        return tasks;
    }

    /// <summary>
    /// The instance id of a run: the model name, the dataset's content hash and a hash of the training
    /// settings. The same upload with the same settings always maps to the same run.
    /// </summary>
    public static string InstanceId(PipelineRequest request, string datasetVersion)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(datasetVersion);
        string settings = LeptonJson.Serialize(request with { Dataset = string.Empty, PollInterval = TimeSpan.Zero, Deadline = TimeSpan.Zero });
        string settingsHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(settings)))[..8];
        return $"{request.ModelName}-{datasetVersion[..16]}-{settingsHash}";
    }

    /// <summary>
    /// Starts a run unless the same run exists already (running, or finished without failing): then its
    /// instance id is returned and nothing new starts. Returns the instance id and whether it started now.
    /// </summary>
    public static async Task<(string InstanceId, bool Started)> StartAsync(DurableTaskClient client, PipelineRequest request, PipelineWorkspace workspace, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(workspace);
        RegistryNames.ValidateModelName(request.ModelName);
        string upload = await workspace.LocalizeUploadAsync(request.Dataset, cancellationToken).ConfigureAwait(false);
        string id = InstanceId(request, DatasetPreparation.ComputeVersion(upload));
        var existing = await client.GetInstanceAsync(id, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
        if (existing is not null && existing.RuntimeStatus is not (OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated))
        {
            return (id, false);
        }

        if (existing is not null)
        {
            await client.PurgeInstanceAsync(id, cancellation: cancellationToken).ConfigureAwait(false);
        }

        await client.ScheduleNewOrchestrationInstanceAsync(nameof(TrainingPipeline), request, new StartOrchestrationOptions(id), cancellationToken).ConfigureAwait(false);
        return (id, true);
    }
}
