using Azure.Identity;
using Azure.Storage.Blobs;

namespace Lepton.Core.Storage;

/// <summary>
/// Opens a store from one string, as <c>--store</c> and <c>LEPTON_STORE</c> take it: an https account
/// URL (Azure Blob Storage with <see cref="DefaultAzureCredential"/>: managed identity in Azure, your
/// login locally), a connection string (Azurite: <c>UseDevelopmentStorage=true</c>), or a folder.
/// </summary>
public static class ArtifactStores
{
    public const string DefaultFolder = ".lepton";
    public const string EnvironmentVariable = Contracts.LeptonSettings.Store;

    /// <param name="credential">For an account URL: the credential to use (the app's, from DI); default a new <see cref="DefaultAzureCredential"/>.</param>
    public static IArtifactStore Open(string? location, Azure.Core.TokenCredential? credential = null)
    {
        location = string.IsNullOrWhiteSpace(location)
            ? Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv ? fromEnv : DefaultFolder
            : location;
        if (location.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || location.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return new BlobArtifactStore(new BlobServiceClient(new Uri(location), credential ?? new DefaultAzureCredential()));
        }

        if (IsConnectionString(location))
        {
            return new BlobArtifactStore(new BlobServiceClient(location));
        }

        return new FolderArtifactStore(location);
    }

    public static bool IsConnectionString(string location) =>
        location.Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase)
        || (location.Contains('=', StringComparison.Ordinal) && location.Contains(';', StringComparison.Ordinal)
            && (location.Contains("AccountName=", StringComparison.OrdinalIgnoreCase) || location.Contains("BlobEndpoint=", StringComparison.OrdinalIgnoreCase)));
}
