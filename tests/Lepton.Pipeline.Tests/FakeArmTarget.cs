using Azure.Core;
using Azure.Core.Pipeline;
using Lepton.Core.Storage;
using Lepton.Pipeline.Compute;

namespace Lepton.Pipeline.Tests;

/// <summary>An <see cref="AzureMLComputeTarget"/> configured for the <see cref="FakeArm"/> workspace.</summary>
internal static class FakeArmTarget
{
    public const string Digest = "3f1c2b5a9d8e7f60112233445566778899aabbccddeeff00112233445566778a";

    public const string Image = "crlepton.azurecr.io/lepton-trainer@sha256:" + Digest;

    public static AzureMLComputeTarget Create(FakeArm arm, IArtifactStore store, TokenCredential credential, TimeProvider? time = null)
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == arm.Certificate.Thumbprint };
        var options = new AzureMLClientOptions { Transport = new HttpClientTransport(new HttpClient(handler)) };
        options.Retry.Delay = TimeSpan.FromMilliseconds(50);
        return new AzureMLComputeTarget(new AzureMLOptions
        {
            SubscriptionId = "sub-1",
            ResourceGroup = "rg-lepton",
            Workspace = "mlw-lepton",
            Cluster = FakeArm.Cluster,
            TrainerImage = Image,
            PreparedDatastore = "lepton_prepared",
            RunsDatastore = "lepton_runs",
            Endpoint = arm.Endpoint,
        }, store, credential, options, time);
    }
}

/// <summary>A clock a test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
