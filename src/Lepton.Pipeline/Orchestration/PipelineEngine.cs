using System.Security.Cryptography;
using System.Text;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Pipeline.Activities;
using Lepton.Pipeline.Compute;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Lepton.Pipeline.Orchestration;

/// <summary>Registers the pipeline with a Durable Task worker and starts runs without duplicates.</summary>
public static class PipelineEngine
{
    /// <summary>Adds the orchestrator and its activities, bound to a registry, a compute target and a workspace.</summary>
    public static DurableTaskRegistry AddTrainingPipeline(this DurableTaskRegistry tasks, ModelRegistry registry, IComputeTarget compute, PipelineWorkspace workspace, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var activities = new PipelineActivities(registry, compute, workspace, loggers);
        tasks.AddOrchestrator<TrainingPipeline>();
        tasks.AddOrchestrator<SweepTrial>();
        tasks.AddActivity(nameof(PrepareDatasetActivity), activities.Prepare);
        tasks.AddActivity(nameof(SubmitTrainingActivity), activities.Submit);
        tasks.AddActivity(nameof(GetTrainingStatusActivity), activities.Status);
        tasks.AddActivity(nameof(CancelTrainingActivity), activities.Cancel);
        tasks.AddActivity(nameof(ReadMetricsActivity), activities.ReadMetrics);
        tasks.AddActivity(nameof(ComputeCapacityActivity), activities.Capacity);
        tasks.AddActivity(nameof(ReadValidationHistoryActivity), activities.ValidationHistory);
        tasks.AddActivity(nameof(FindPublishedActivity), activities.FindPublished);
        tasks.AddActivity(nameof(RecordOutcomeActivity), activities.RecordOutcome);
        tasks.AddActivity(nameof(PublishActivity), activities.Publish);
        tasks.AddActivity(nameof(PromoteActivity), activities.Promote);
        return tasks;
    }

    /// <summary>
    /// The instance id of a run: the model name, a hash of the dataset's identity (a stored upload's name
    /// and ETag, a local path's name, sizes and times: nothing is downloaded or hashed to start a run) and
    /// of the request. The same upload event with the same settings maps to the same instance; a new upload
    /// of the same bytes is a new instance that prepares the data, finds the version published from it
    /// and trains nothing (<see cref="PipelineOutcome.AlreadyPublished"/>).
    /// </summary>
    public static string InstanceId(PipelineRequest request, string datasetIdentity)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(datasetIdentity);
        string settings = LeptonJson.Serialize(request with { PollInterval = TimeSpan.Zero, Deadline = TimeSpan.Zero });
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(datasetIdentity + "\n" + settings)))[..24];
        return $"{request.ModelName}-{hash}";
    }

    /// <summary>What identifies the dataset's current content without reading it.</summary>
    public static async Task<string> DatasetIdentityAsync(PipelineWorkspace workspace, string dataset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(dataset);
        if (PipelineWorkspace.IsStoredUpload(dataset))
        {
            var info = await workspace.Store.GetInfoAsync(dataset, cancellationToken).ConfigureAwait(false)
                ?? throw new ArtifactNotFoundException(dataset);
            return $"{dataset}@{info.ETag}";
        }

        if (File.Exists(dataset))
        {
            var file = new FileInfo(dataset);
            return $"{file.FullName}:{file.Length}:{file.LastWriteTimeUtc.Ticks}";
        }

        if (Directory.Exists(dataset))
        {
            var files = new DirectoryInfo(dataset).EnumerateFiles("*", SearchOption.AllDirectories)
                .OrderBy(f => f.FullName, StringComparer.Ordinal)
                .Select(f => $"{f.FullName}:{f.Length}:{f.LastWriteTimeUtc.Ticks}");
            return string.Join("|", files.Prepend(Path.GetFullPath(dataset)));
        }

        throw new Core.Data.DatasetFormatException($"dataset not found: {dataset}");
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
        request.EnsureValid();
        string id = InstanceId(request, await DatasetIdentityAsync(workspace, request.Dataset, cancellationToken).ConfigureAwait(false));
        return (id, await StartOnceAsync(client, nameof(TrainingPipeline), request, id, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Starts orchestration <paramref name="name"/> as instance <paramref name="id"/> unless that instance
    /// runs or finished without failing (a failed or terminated one is purged and started again); true when it started now.
    /// </summary>
    public static async Task<bool> StartOnceAsync<T>(DurableTaskClient client, string name, T input, string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        var existing = await client.GetInstanceAsync(id, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
        if (existing is not null && existing.RuntimeStatus is not (OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated))
        {
            return false;
        }

        if (existing is not null)
        {
            await client.PurgeInstanceAsync(id, cancellation: cancellationToken).ConfigureAwait(false);
        }

        await client.ScheduleNewOrchestrationInstanceAsync(name, input, new StartOrchestrationOptions(id), cancellationToken).ConfigureAwait(false);
        return true;
    }
}
