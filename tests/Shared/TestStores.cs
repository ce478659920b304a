using Azure.Storage.Blobs;
using Lepton.Core.Storage;

namespace Lepton.Tests;

/// <summary>Stores for tests: a fresh temporary folder, or Azurite (LEPTON_TEST_AZURITE, started by scripts/test.sh).</summary>
internal static class TestStores
{
    public static string AzuriteConnectionString =>
        Environment.GetEnvironmentVariable("LEPTON_TEST_AZURITE") is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                "Azurite is needed: run the tests with scripts/test.sh (it installs and starts Azurite), or start Azurite on 127.0.0.1 and set LEPTON_TEST_AZURITE=UseDevelopmentStorage=true");

    public static BlobArtifactStore Azurite() => new(new BlobServiceClient(AzuriteConnectionString));

    /// <summary>A container name no other test uses.</summary>
    public static string UniqueContainer(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 33)];
}
