using Lepton.Core.Contracts;
using Azure.Storage.Blobs;
using Lepton.Core.Registry;
using Lepton.Core.Storage;

namespace Lepton.Core.Tests.Registry;

public sealed class RegistryHardeningTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lepton-registry-hardening-").FullName;

    private static readonly ModelDescription Description = new()
    {
        Inputs = [new TensorSpec("pixels", "FP32", [-1, 1, 28, 28])],
        Outputs = [new TensorSpec("logits", "FP32", [-1, 10])],
        Signature = ModelSignature.ImageClassifier(new ImageInputSpec(new ImageShape(1, 28, 28)), []),
    };

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("evil\n")]
    [InlineData("evil\r\n")]
    [InlineData("\nevil")]
    [InlineData("evil\n\n")]
    public void Names_WithNewlines_AreInvalid(string name)
    {
        Assert.False(RegistryNames.IsValidModelName(name));
        Assert.False(RegistryNames.IsValidAlias(name));
        Assert.Throws<InvalidNameException>(() => RegistryNames.ValidateModelName(name));
    }

    [Fact]
    public void ArtifactPaths_WithATrailingNewline_AreRefused()
    {
        Assert.ThrowsAny<ArgumentException>(() => ArtifactPath.Split("models\n/x"));
        Assert.ThrowsAny<ArgumentException>(() => ArtifactPath.Split("models/x\n"));
    }

    [Fact]
    public async Task Publish_NameWithATrailingNewline_CreatesNothing()
    {
        var registry = new ModelRegistry(new FolderArtifactStore(_root));

        await Assert.ThrowsAsync<InvalidNameException>(() => registry.PublishAsync("evil\n", new MemoryStream([1, 2, 3]), Description));

        Assert.DoesNotContain(Directory.EnumerateFileSystemEntries(_root, "*", SearchOption.AllDirectories), p => p.Contains('\n', StringComparison.Ordinal));
    }

    [Fact]
    public void BlobStoreLocation_FromASasConnectionString_HasNoSignature()
    {
        const string sas = "sv=2025-01-05&ss=b&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D%3D";
        var store = ArtifactStores.Open($"BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature={sas}");

        Assert.Equal("https://acct.blob.core.windows.net/", store.Location);
        Assert.DoesNotContain("sig", store.Location, StringComparison.Ordinal);
    }

    [Fact]
    public void BlobStoreLocation_FromAUrlWithAQueryOrUserInfo_IsStripped()
    {
        var store = new BlobArtifactStore(new BlobServiceClient(new Uri("https://acct.blob.core.windows.net/?sv=1&sig=abc")));

        Assert.Equal("https://acct.blob.core.windows.net/", store.Location);
        Assert.Equal("https://acct.blob.core.windows.net/path", BlobArtifactStore.Describe(new Uri("https://user:pw@acct.blob.core.windows.net/path?sig=x#f")));
    }

    [Fact]
    public async Task CorruptManifestOrAliases_IsARegistryDataException_NamingTheFile()
    {
        var registry = new ModelRegistry(new FolderArtifactStore(_root));
        await registry.PublishAsync("m", new MemoryStream([1, 2, 3]), Description);
        await registry.SetAliasAsync("m", "production", 1);
        await File.WriteAllTextAsync(Path.Combine(_root, ModelRegistry.ManifestPath("m", 1)), "{\"name\":");
        await File.WriteAllTextAsync(Path.Combine(_root, ModelRegistry.AliasesPath("m")), "{\"aliases\": {\"produ");

        var manifest = await Assert.ThrowsAsync<RegistryDataException>(() => registry.GetManifestAsync("m", 1));
        var aliases = await Assert.ThrowsAsync<RegistryDataException>(() => registry.GetAliasesAsync("m"));

        Assert.Contains("version 1", manifest.Message, StringComparison.Ordinal);
        Assert.Contains("aliases", aliases.Message, StringComparison.Ordinal);
    }
}
