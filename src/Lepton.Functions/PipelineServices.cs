using Azure.Core;
using Azure.Identity;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Pipeline;
using Lepton.Pipeline.Activities;
using Lepton.Inference.Runtime;
using Lepton.Pipeline.Batch;
using Lepton.Pipeline.Compute;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lepton.Functions;

/// <summary>The local app's scans of the upload containers: <c>datasets</c> (training runs) and <c>batch</c> (batch jobs).</summary>
public sealed record UploadScanners(UploadScanner Datasets, UploadScanner Batch);

/// <summary>Settings of pipeline runs the app starts itself (blob uploads).</summary>
public sealed record PipelineDefaults(double MinimumAccuracy, TimeSpan PollInterval);

/// <summary>Registers the app's settings, credential, store and training pipeline services.</summary>
public static class PipelineServices
{
    /// <summary>
    /// Binds <see cref="LeptonAppOptions"/> from configuration and validates it when the host starts;
    /// registers one <see cref="TokenCredential"/> (the app's managed identity in Azure) that the store,
    /// Azure ML and telemetry share; the artifact store from <c>LEPTON_STORE</c> (register this before
    /// <c>AddLeptonInference</c>, which keeps it); and the pipeline's compute target, workspace and activities.
    /// </summary>
    public static IServiceCollection AddLeptonPipeline(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LeptonAppOptions>().Bind(configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<LeptonAppOptions>, LeptonAppOptionsValidator>();
        services.AddSingleton<TokenCredential>(sp => new DefaultAzureCredential(new DefaultAzureCredentialOptions
        {
            ManagedIdentityClientId = Settings(sp).ManagedIdentityClientId is { Length: > 0 } id ? id : null,
        }));
        services.AddSingleton(sp => ArtifactStores.Open(Settings(sp).Store, sp.GetRequiredService<TokenCredential>()));
        services.AddSingleton(sp => new PipelineWorkspace(
            sp.GetRequiredService<IArtifactStore>(),
            Settings(sp).WorkFolder is { Length: > 0 } work ? work : Path.Combine(Path.GetTempPath(), "lepton")));
        // The local app's upload scans (src/Lepton.Functions.Local); unused in Azure, where Event Grid triggers.
        services.AddSingleton(sp => new UploadScanners(
            new UploadScanner(sp.GetRequiredService<IArtifactStore>(), TimeSpan.FromSeconds(3)),
            new UploadScanner(sp.GetRequiredService<IArtifactStore>(), TimeSpan.FromSeconds(3), BatchPaths.Container)));
        services.AddSingleton(CreateComputeTarget);
        services.AddSingleton(sp => new PipelineActivities(
            sp.GetRequiredService<ModelRegistry>(), sp.GetRequiredService<IComputeTarget>(), sp.GetRequiredService<PipelineWorkspace>(), sp.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        services.AddSingleton(sp => new PlanBatchActivity(sp.GetRequiredService<ModelRuntime>(), sp.GetRequiredService<PipelineWorkspace>()));
        services.AddSingleton(sp => new ScoreBatchChunkActivity(sp.GetRequiredService<ModelRuntime>(), sp.GetRequiredService<PipelineWorkspace>()));
        services.AddSingleton(sp => new MergeBatchActivity(sp.GetRequiredService<IArtifactStore>()));
        services.AddSingleton(sp => new PipelineDefaults(Settings(sp).GateMinimumAccuracy!.Value, Settings(sp).PollInterval));
        return services;
    }

    private static LeptonAppOptions Settings(IServiceProvider services) => services.GetRequiredService<IOptions<LeptonAppOptions>>().Value;

    /// <summary>The configured compute target: a trainer process on this machine, or Azure ML.</summary>
    public static IComputeTarget CreateComputeTarget(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var settings = Settings(services);
        var workspace = services.GetRequiredService<PipelineWorkspace>();
        if (ComputeTargets.TryParse(settings.ComputeTarget, out var target) && target == ComputeTargetKind.Process)
        {
            return new ProcessComputeTarget(TrainerCommand.Locate(), workspace.WorkFolder);
        }

        // The validator has checked every value below.
        return new AzureMLComputeTarget(new AzureMLOptions
        {
            SubscriptionId = settings.AzureMLSubscriptionId!,
            ResourceGroup = settings.AzureMLResourceGroup!,
            Workspace = settings.AzureMLWorkspace!,
            Cluster = settings.AzureMLCluster!,
            TrainerImage = settings.AzureMLTrainerImage!,
            PreparedDatastore = settings.AzureMLPreparedDatastore!,
            RunsDatastore = settings.AzureMLRunsDatastore!,
            UnresponsiveTimeout = settings.AzureMLUnresponsiveTimeout,
        }, workspace.Store, services.GetRequiredService<TokenCredential>(), logger: services.GetService<ILogger<AzureMLComputeTarget>>());
    }
}
