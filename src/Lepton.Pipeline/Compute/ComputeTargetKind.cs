namespace Lepton.Pipeline.Compute;

/// <summary>Where training jobs run; the setting LEPTON_COMPUTE_TARGET names one by <see cref="ComputeTargets.Name"/>.</summary>
public enum ComputeTargetKind
{
    /// <summary>A trainer process on this machine (<see cref="ProcessComputeTarget"/>).</summary>
    Process,

    /// <summary>Azure Machine Learning command jobs (<see cref="AzureMLComputeTarget"/>).</summary>
    AzureML,
}

/// <summary>The setting's names of the compute targets.</summary>
public static class ComputeTargets
{
    public static string Name(ComputeTargetKind kind) => kind switch
    {
        ComputeTargetKind.Process => ProcessComputeTarget.TargetName,
        ComputeTargetKind.AzureML => AzureMLComputeTarget.TargetName,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The kind a setting's value names (exactly, as documented); false for anything else.</summary>
    public static bool TryParse(string? value, out ComputeTargetKind kind)
    {
        foreach (var candidate in Enum.GetValues<ComputeTargetKind>())
        {
            if (Name(candidate) == value)
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
