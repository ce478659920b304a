using System.Globalization;
using Lepton.Core.Contracts;
using Lepton.Pipeline.Compute;
using Microsoft.Extensions.Options;

namespace Lepton.Functions;

/// <summary>Checks <see cref="LeptonAppOptions"/> at start-up; every failure names its setting.</summary>
public sealed class LeptonAppOptionsValidator : IValidateOptions<LeptonAppOptions>
{
    public ValidateOptionsResult Validate(string? name, LeptonAppOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Store))
        {
            failures.Add($"{LeptonSettings.Store} is required: the storage account's blob endpoint (https://...), a connection string (UseDevelopmentStorage=true) or a folder");
        }

        if (options.GateMinimumAccuracy is not { } gate)
        {
            failures.Add($"{LeptonSettings.GateMinimumAccuracy} is required: the least test accuracy (0 to 1) that earns promotion to production");
        }
        else if (gate is < 0 or > 1 || double.IsNaN(gate))
        {
            failures.Add($"{LeptonSettings.GateMinimumAccuracy} must be between 0 and 1, not {gate.ToString(CultureInfo.InvariantCulture)}");
        }

        if (options.PollInterval <= TimeSpan.Zero)
        {
            failures.Add($"{LeptonSettings.PollInterval} must be a positive time span (e.g. 00:00:30), not {options.PollInterval}");
        }

        if (!ComputeTargets.TryParse(options.ComputeTarget, out var target))
        {
            failures.Add($"{LeptonSettings.ComputeTarget} must be '{ProcessComputeTarget.TargetName}' or '{AzureMLComputeTarget.TargetName}', not '{options.ComputeTarget}'");
        }
        else if (target == ComputeTargetKind.AzureML)
        {
            ValidateAzureML(options, failures);
        }
        else
        {
            try
            {
                TrainerCommand.Locate();
            }
            catch (TrainerNotFoundException ex)
            {
                failures.Add($"{LeptonSettings.ComputeTarget} '{ProcessComputeTarget.TargetName}' trains on this machine, but {ex.Message}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateAzureML(LeptonAppOptions options, List<string> failures)
    {
        foreach (var (key, value) in new[]
        {
            (LeptonSettings.AzureMLSubscriptionId, options.AzureMLSubscriptionId),
            (LeptonSettings.AzureMLResourceGroup, options.AzureMLResourceGroup),
            (LeptonSettings.AzureMLWorkspace, options.AzureMLWorkspace),
            (LeptonSettings.AzureMLCluster, options.AzureMLCluster),
            (LeptonSettings.AzureMLTrainerImage, options.AzureMLTrainerImage),
            (LeptonSettings.AzureMLPreparedDatastore, options.AzureMLPreparedDatastore),
            (LeptonSettings.AzureMLRunsDatastore, options.AzureMLRunsDatastore),
        })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                failures.Add($"the azureml compute target needs the setting {key}");
            }
        }

        if (!string.IsNullOrWhiteSpace(options.AzureMLTrainerImage) && AzureMLOptions.TrainerImageDigest(options.AzureMLTrainerImage) is null)
        {
            failures.Add($"{LeptonSettings.AzureMLTrainerImage} must be pinned by digest (registry/lepton-trainer@sha256:...; infra/hooks/postprovision.sh sets it), not '{options.AzureMLTrainerImage}'");
        }

        if (options.Store is { Length: > 0 } store && !(Uri.TryCreate(store, UriKind.Absolute, out var endpoint) && endpoint.Scheme == Uri.UriSchemeHttps))
        {
            failures.Add($"the azureml compute target needs {LeptonSettings.Store} to be the storage account's https blob endpoint (the account its datastores name)");
        }

        if (options.AzureMLUnresponsiveTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{LeptonSettings.AzureMLUnresponsiveTimeout} must be a positive time span, not {options.AzureMLUnresponsiveTimeout}");
        }
    }
}
