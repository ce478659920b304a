namespace Lepton.Core.Contracts;

/// <summary>
/// Every setting (app setting / environment variable) Lepton reads, in one place. A test checks that
/// each app setting is in local.settings.sample.json and in the Bicep app settings, and that no code
/// reads a setting that is not listed here.
/// </summary>
public static class LeptonSettings
{
    /// <summary>The model registry's store: an account URL (managed identity), a connection string, or a folder.</summary>
    public const string Store = "LEPTON_STORE";

    /// <summary>Serving options (<c>Lepton:Inference:*</c>, e.g. AliasCacheDuration, MaxBatchSize); all optional with defaults.</summary>
    public const string InferenceSection = "Lepton:Inference";

    /// <summary>The admin key of <c>lepton serve</c> (the CLI's own host; Azure Functions uses function keys).</summary>
    public const string AdminKey = "LEPTON_ADMIN_KEY";

    /// <summary>Where the process compute target finds lepton-trainer.dll (default: the repository's build).</summary>
    public const string TrainerPath = "LEPTON_TRAINER";

    /// <summary>Testing aid read by the trainer: exit with a failure after this epoch (a crash to recover from).</summary>
    public const string TrainerCrashAfterEpoch = "LEPTON_TRAINER_CRASH_AFTER_EPOCH";

    /// <summary>Read by the trainer: seconds between batch-progress updates of status.json (default 2).</summary>
    public const string TrainerProgressSeconds = "LEPTON_TRAINER_PROGRESS_SECONDS";

    /// <summary>The training pipeline's compute target: process (a local trainer process) or azureml.</summary>
    public const string ComputeTarget = "LEPTON_COMPUTE_TARGET";

    public const string AzureMLSubscriptionId = "LEPTON_AZUREML_SUBSCRIPTION_ID";
    public const string AzureMLResourceGroup = "LEPTON_AZUREML_RESOURCE_GROUP";
    public const string AzureMLWorkspace = "LEPTON_AZUREML_WORKSPACE";
    public const string AzureMLCluster = "LEPTON_AZUREML_CLUSTER";

    /// <summary>The trainer image pinned by digest (<c>registry/lepton-trainer@sha256:...</c>; the environment version is derived from it).</summary>
    public const string AzureMLTrainerImage = "LEPTON_AZUREML_TRAINER_IMAGE";

    /// <summary>The workspace's identity-based datastore over the store's <c>prepared</c> container.</summary>
    public const string AzureMLPreparedDatastore = "LEPTON_AZUREML_PREPARED_DATASTORE";

    /// <summary>The workspace's identity-based datastore over the store's <c>runs</c> container.</summary>
    public const string AzureMLRunsDatastore = "LEPTON_AZUREML_RUNS_DATASTORE";

    /// <summary>How long an Azure ML job may stay NotResponding or Paused before it counts as failed (default 00:30:00).</summary>
    public const string AzureMLUnresponsiveTimeout = "LEPTON_AZUREML_UNRESPONSIVE_TIMEOUT";

    /// <summary>The client id of the app's user-assigned managed identity (set in Azure; unset locally).</summary>
    public const string AzureClientId = "AZURE_CLIENT_ID";

    /// <summary>The quality gate's minimum test accuracy for runs started by an upload.</summary>
    public const string GateMinimumAccuracy = "LEPTON_GATE_MIN_ACCURACY";

    /// <summary>How often runs started by an upload poll their training job (default 00:00:30; locally shorter).</summary>
    public const string PollInterval = "LEPTON_POLL_INTERVAL";

    /// <summary>The Durable Functions task hub (host.json refers to it).</summary>
    public const string TaskHub = "TASKHUB_NAME";

    /// <summary>A local folder for pipeline files on the machine running an activity (default: the temp folder).</summary>
    public const string WorkFolder = "LEPTON_WORK";

    /// <summary>Where the trainer keeps the frozen backbone's features of a dataset (default: the local app data folder, lepton/features).</summary>
    public const string FeatureCache = "LEPTON_FEATURE_CACHE";

    /// <summary>Application Insights; telemetry is sent only when it is set (with the app's identity in Azure).</summary>
    public const string AppInsightsConnectionString = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>Settings the Functions app needs, locally and in Azure.</summary>
    public static readonly IReadOnlyList<string> AppSettings =
    [
        Store, ComputeTarget, TaskHub, GateMinimumAccuracy,
        AzureMLSubscriptionId, AzureMLResourceGroup, AzureMLWorkspace, AzureMLCluster, AzureMLTrainerImage,
        AzureMLPreparedDatastore, AzureMLRunsDatastore,
    ];

    /// <summary>Settings read only by local tools (the CLI), or optional tuning with defaults: documented, not deployed.</summary>
    public static readonly IReadOnlyList<string> LocalOnly = [AdminKey, InferenceSection, TrainerPath, TrainerCrashAfterEpoch, TrainerProgressSeconds, WorkFolder, AppInsightsConnectionString, PollInterval, AzureMLUnresponsiveTimeout, AzureClientId];
}
