using Lepton.Core.Contracts;
using Microsoft.Extensions.Configuration;

namespace Lepton.Functions;

/// <summary>
/// The Functions app's settings (app settings / environment variables, named in <see cref="LeptonSettings"/>),
/// bound once and validated at start-up by <see cref="LeptonAppOptionsValidator"/>: a missing or malformed
/// setting stops the app with the setting's name, instead of becoming a default that changes behaviour.
/// </summary>
public sealed class LeptonAppOptions
{
    /// <summary>The model registry's store; required (no fallback to a local folder).</summary>
    [ConfigurationKeyName(LeptonSettings.Store)]
    public string? Store { get; set; }

    /// <summary>The quality gate of runs started by an upload; required, between 0 and 1.</summary>
    [ConfigurationKeyName(LeptonSettings.GateMinimumAccuracy)]
    public double? GateMinimumAccuracy { get; set; }

    [ConfigurationKeyName(LeptonSettings.PollInterval)]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>process (a trainer on this machine, for local runs) or azureml.</summary>
    [ConfigurationKeyName(LeptonSettings.ComputeTarget)]
    public string ComputeTarget { get; set; } = Pipeline.Compute.ProcessComputeTarget.TargetName;

    [ConfigurationKeyName(LeptonSettings.WorkFolder)]
    public string? WorkFolder { get; set; }

    /// <summary>The client id of the app's user-assigned managed identity (Azure); unset locally.</summary>
    [ConfigurationKeyName(LeptonSettings.AzureClientId)]
    public string? ManagedIdentityClientId { get; set; }

    [ConfigurationKeyName(LeptonSettings.AzureMLSubscriptionId)]
    public string? AzureMLSubscriptionId { get; set; }

    [ConfigurationKeyName(LeptonSettings.AzureMLResourceGroup)]
    public string? AzureMLResourceGroup { get; set; }

    [ConfigurationKeyName(LeptonSettings.AzureMLWorkspace)]
    public string? AzureMLWorkspace { get; set; }

    [ConfigurationKeyName(LeptonSettings.AzureMLCluster)]
    public string? AzureMLCluster { get; set; }

    [ConfigurationKeyName(LeptonSettings.AzureMLTrainerImage)]
    public string? AzureMLTrainerImage { get; set; }

    [ConfigurationKeyName(LeptonSettings.AzureMLPreparedDatastore)]
    public string? AzureMLPreparedDatastore { get; set; }

    [ConfigurationKeyName(LeptonSettings.AzureMLRunsDatastore)]
    public string? AzureMLRunsDatastore { get; set; }

    [ConfigurationKeyName(LeptonSettings.AzureMLUnresponsiveTimeout)]
    public TimeSpan AzureMLUnresponsiveTimeout { get; set; } = TimeSpan.FromMinutes(30);
}
