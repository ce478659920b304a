using System.Globalization;
using Azure.Identity;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Pipeline;
using Lepton.Pipeline.Activities;
using Lepton.Pipeline.Compute;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Lepton.Functions;

/// <summary>Settings of pipeline runs the app starts itself (blob uploads).</summary>
public sealed record PipelineDefaults(double MinimumAccuracy, TimeSpan PollInterval);

/// <summary>Registers the training pipeline's services from configuration.</summary>
public static class PipelineServices
{
    public static IServiceCollection AddLeptonPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton(sp => new PipelineWorkspace(
            sp.GetRequiredService<IArtifactStore>(),
            configuration[LeptonSettings.WorkFolder] is { Length: > 0 } work ? work : Path.Combine(Path.GetTempPath(), "lepton")));
        // The local app's upload scan (src/Lepton.Functions.Local); unused in Azure, where Event Grid triggers.
        services.AddSingleton(sp => new UploadScanner(sp.GetRequiredService<IArtifactStore>(), TimeSpan.FromSeconds(3)));
        services.AddSingleton<IComputeTarget>(sp => CreateComputeTarget(configuration, sp.GetRequiredService<PipelineWorkspace>()));
        services.AddSingleton(sp => new PipelineActivities(
            sp.GetRequiredService<ModelRegistry>(), sp.GetRequiredService<IComputeTarget>(), sp.GetRequiredService<PipelineWorkspace>(), sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        services.AddSingleton(new PipelineDefaults(
            double.TryParse(configuration[LeptonSettings.GateMinimumAccuracy], NumberStyles.Float, CultureInfo.InvariantCulture, out double minimum) ? minimum : 0.0,
            configuration[LeptonSettings.PollInterval] is { Length: > 0 } poll
                ? TimeSpan.TryParse(poll, CultureInfo.InvariantCulture, out var interval) && interval > TimeSpan.Zero
                    ? interval
                    : throw new InvalidOperationException($"{LeptonSettings.PollInterval} must be a positive time span (e.g. 00:00:30), not '{poll}'")
                : TimeSpan.FromSeconds(30)));
        return services;
    }

    /// <summary>process (default; a trainer on this machine, for local runs) or azureml.</summary>
    public static IComputeTarget CreateComputeTarget(IConfiguration configuration, PipelineWorkspace workspace)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(workspace);
        string target = configuration[LeptonSettings.ComputeTarget] is { Length: > 0 } t ? t : ProcessComputeTarget.TargetName;
        if (target == ProcessComputeTarget.TargetName)
        {
            return new ProcessComputeTarget(TrainerCommand.Locate(), workspace.WorkFolder);
        }

        if (target != AzureMLComputeTarget.TargetName)
        {
            throw new InvalidOperationException($"{LeptonSettings.ComputeTarget} must be '{ProcessComputeTarget.TargetName}' or '{AzureMLComputeTarget.TargetName}', not '{target}'");
        }

        string Require(string key) => configuration[key] is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"the azureml compute target needs the setting {key}");
        string store = Require(LeptonSettings.Store);
        return new AzureMLComputeTarget(new AzureMLOptions
        {
            SubscriptionId = Require(LeptonSettings.AzureMLSubscriptionId),
            ResourceGroup = Require(LeptonSettings.AzureMLResourceGroup),
            Workspace = Require(LeptonSettings.AzureMLWorkspace),
            Cluster = Require(LeptonSettings.AzureMLCluster),
            TrainerImage = Require(LeptonSettings.AzureMLTrainerImage),
            StorageBlobEndpoint = Uri.TryCreate(store, UriKind.Absolute, out var endpoint) && endpoint.Scheme == Uri.UriSchemeHttps
                ? endpoint
                : throw new InvalidOperationException($"the azureml compute target needs {LeptonSettings.Store} to be the storage account's https blob endpoint"),
        }, workspace.Store, new DefaultAzureCredential());
    }
}
