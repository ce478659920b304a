using Lepton.Core.Contracts;
using System.Security.Cryptography;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Tests;

namespace Lepton.Core.Tests.Registry;

public abstract class ModelRegistryContract
{
    protected abstract IArtifactStore Store { get; }

    protected abstract string Model { get; }

    protected ModelRegistry Registry => new(Store);

    protected static readonly ModelDescription Description = new()
    {
        Architecture = "cnn",
        Inputs = [new TensorSpec("pixels", "FP32", [-1, 1, 28, 28])],
        Outputs = [new TensorSpec("logits", "FP32", [-1, 10])],
        Signature = ModelSignature.ImageClassifier(new ImageInputSpec(new ImageShape(1, 28, 28)), ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]),
        Metrics = new Dictionary<string, double> { ["accuracy"] = 0.9 },
        Opset = 17,
    };

    protected static MemoryStream Bytes(int seed)
    {
        var data = new byte[1000 + seed];
        new Random(seed).NextBytes(data);
        return new MemoryStream(data);
    }

    [Fact]
    public async Task Publish_NumbersVersionsAndRecordsTheHash()
    {
        var first = await Registry.PublishAsync(Model, Bytes(1), Description);
        var second = await Registry.PublishAsync(Model, Bytes(2), Description);

        Assert.Equal((1, 2), (first.Version, second.Version));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Bytes(2).ToArray())), second.Sha256);
        Assert.Equal(1002, second.SizeBytes);
        Assert.Equal([1, 2], await Registry.ListVersionsAsync(Model));
        Assert.Contains(Model, await Registry.ListModelsAsync());
        var manifest = await Registry.GetManifestAsync(Model, 2);
        Assert.Equal(second.Sha256, manifest.Sha256);
        Assert.Equal(0.9, manifest.Metrics["accuracy"]);
        Assert.Equal([-1L, 1, 28, 28], manifest.Inputs[0].Shape);
        await using var stored = await Registry.OpenModelAsync(Model, 1);
        using var copy = new MemoryStream();
        await stored.CopyToAsync(copy);
        Assert.Equal(Bytes(1).ToArray(), copy.ToArray());
    }

    [Fact]
    public async Task Publish_KeepsTheSignatureInTheManifest()
    {
        var published = await Registry.PublishAsync(Model, Bytes(1), Description);

        var manifest = await Registry.GetManifestAsync(Model, published.Version);

        Assert.Equal(Description.Signature, manifest.Signature with { Output = manifest.Signature.Output with { Labels = Description.Signature.Output.Labels } });
        Assert.Equal(Description.Signature.Output.Labels, manifest.Signature.Output.Labels);
        Assert.Equal(Description.Signature.Output.Labels, manifest.Labels);
        Assert.Equal(ModelKind.Classifier, manifest.Kind);
    }

    [Fact]
    public async Task Publish_SignatureThatDoesNotFitTheTensors_IsRefusedAndWritesNothing()
    {
        var wrong = Description with { Signature = ModelSignature.ImageClassifier(new ImageInputSpec(new ImageShape(3, 28, 28)), ["a", "b"]) };

        var refused = await Assert.ThrowsAsync<InvalidDataException>(() => Registry.PublishAsync(Model, Bytes(1), wrong));

        Assert.Contains("does not fit", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await Registry.ListVersionsAsync(Model));
    }

    [Fact]
    public async Task SetAlias_WithAnExpectationThatNoLongerHolds_IsRefusedAndLeavesTheAlias()
    {
        await Registry.PublishAsync(Model, Bytes(1), Description);
        await Registry.PublishAsync(Model, Bytes(2), Description);
        await Registry.PublishAsync(Model, Bytes(3), Description);
        await Registry.SetAliasAsync(Model, ModelRegistry.DefaultAlias, 1, AliasExpectation.At(null));
        await Registry.SetAliasAsync(Model, ModelRegistry.DefaultAlias, 2); // another promotion meanwhile

        var moved = await Assert.ThrowsAsync<AliasMovedException>(() => Registry.SetAliasAsync(Model, ModelRegistry.DefaultAlias, 3, AliasExpectation.At(1)));

        Assert.Equal(2, moved.Actual);
        Assert.Equal(2, (await Registry.GetAliasesAsync(Model)).Aliases[ModelRegistry.DefaultAlias]);
        await Registry.SetAliasAsync(Model, ModelRegistry.DefaultAlias, 3, AliasExpectation.At(2));
        Assert.Equal(3, (await Registry.GetAliasesAsync(Model)).Aliases[ModelRegistry.DefaultAlias]);
    }

    [Fact]
    public async Task Publish_WithACard_TheVersionHasItsCardFiles()
    {
        var card = new Lepton.Core.Cards.ModelCard { Kind = ModelKind.Classifier, Architecture = "cnn", Dataset = new(null, null, null), Images = ["curves.png"] };
        var files = new Dictionary<string, BinaryData>
        {
            ["card.json"] = BinaryData.FromString(LeptonJson.Serialize(card)),
            ["curves.png"] = BinaryData.FromBytes([1, 2, 3]),
        };

        var published = await Registry.PublishAsync(Model, Bytes(1), Description, files);

        Assert.Equal(["curves.png"], (await Registry.GetCardAsync(Model, published.Version))!.Images);
        Assert.Equal([1, 2, 3], (await Registry.GetCardFileAsync(Model, published.Version, "curves.png"))!.ToArray());
        Assert.Null(await Registry.GetCardFileAsync(Model, published.Version, "confusion.png"));
    }

    [Fact]
    public async Task Publish_ACardFileFails_LeavesNothingOfTheVersion()
    {
        var files = new Dictionary<string, BinaryData>
        {
            ["card.json"] = BinaryData.FromString("{}"),
            ["../manifest.json"] = BinaryData.FromString("{}"), // refused by name, after card.json was written
        };

        await Assert.ThrowsAsync<ArgumentException>(() => Registry.PublishAsync(Model, Bytes(1), Description, files));

        Assert.Empty(await Registry.ListVersionsAsync(Model));
        var left = new List<string>();
        await foreach (string path in Store.ListAsync($"models/{Model}/"))
        {
            left.Add(path);
        }

        Assert.Empty(left);
        Assert.Equal(1, (await Registry.PublishAsync(Model, Bytes(2), Description)).Version);
    }

    [Fact]
    public async Task Publish_Concurrently_GivesDistinctVersions()
    {
        var manifests = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Registry.PublishAsync(Model, Bytes(i), Description)));

        Assert.Equal([1, 2, 3, 4, 5, 6], manifests.Select(m => m.Version).Order());
        Assert.Equal([1, 2, 3, 4, 5, 6], await Registry.ListVersionsAsync(Model));
    }

    [Fact]
    public async Task Versions_AreImmutable()
    {
        await Registry.PublishAsync(Model, Bytes(1), Description);

        await Assert.ThrowsAsync<ArtifactConflictException>(() =>
            Store.WriteAsync(ModelRegistry.ModelPath(Model, 1), Bytes(9), WriteCondition.IfNotExists));
    }

    [Fact]
    public async Task Resolve_LatestWithoutAliases_ThenTheAlias_ThenRollback()
    {
        await Registry.PublishAsync(Model, Bytes(1), Description);
        await Registry.PublishAsync(Model, Bytes(2), Description);
        Assert.Equal(2, await Registry.ResolveAsync(Model));

        await Registry.SetAliasAsync(Model, "production", 2);
        await Registry.SetAliasAsync(Model, "production", 1);
        var aliases = await Registry.GetAliasesAsync(Model);

        Assert.Equal(1, await Registry.ResolveAsync(Model));
        Assert.Equal(2, await Registry.ResolveAsync(Model, version: 2));
        Assert.Equal(1, aliases.Aliases["production"]);
        Assert.Equal([(2, (int?)null), (1, 2)], aliases.History.Select(h => (h.Version, h.Previous)));
        await Assert.ThrowsAsync<ModelNotFoundException>(() => Registry.ResolveAsync(Model, alias: "staging"));
        await Assert.ThrowsAsync<ModelNotFoundException>(() => Registry.ResolveAsync(Model, version: 7));
    }

    [Fact]
    public async Task SetAlias_UnknownVersion_IsNotFound()
    {
        await Registry.PublishAsync(Model, Bytes(1), Description);

        await Assert.ThrowsAsync<ModelNotFoundException>(() => Registry.SetAliasAsync(Model, "production", 5));
    }

    [Fact]
    public async Task SetAlias_ConcurrentPromotions_LoseNoUpdate()
    {
        await Registry.PublishAsync(Model, Bytes(1), Description);
        await Registry.PublishAsync(Model, Bytes(2), Description);
        string[] aliases = ["production", "staging", "canary", "shadow", "blue", "green"];

        await Task.WhenAll(aliases.Select((alias, i) => Registry.SetAliasAsync(Model, alias, (i % 2) + 1)));

        var document = await Registry.GetAliasesAsync(Model);
        Assert.Equal(aliases.Order(), document.Aliases.Keys.Order());
        Assert.Equal(aliases.Length, document.History.Count);
    }

    [Fact]
    public async Task UnknownModel_IsNotFound()
    {
        await Assert.ThrowsAsync<ModelNotFoundException>(() => Registry.ResolveAsync("no-such-model-" + Model));
        await Assert.ThrowsAsync<ModelNotFoundException>(() => Registry.GetManifestAsync(Model, 1));
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("Fashion")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("-lead")]
    public async Task InvalidModelName_IsRejected(string name)
    {
        await Assert.ThrowsAsync<InvalidNameException>(() => Registry.PublishAsync(name, Bytes(1), Description));
        await Assert.ThrowsAsync<InvalidNameException>(() => Registry.ResolveAsync(name));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("../x")]
    [InlineData("1st")]
    public async Task InvalidAlias_IsRejected(string alias)
    {
        await Assert.ThrowsAsync<InvalidNameException>(() => Registry.SetAliasAsync(Model, alias, 1));
    }
}

public sealed class FolderModelRegistryTests : ModelRegistryContract, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lepton-registry-").FullName;

    public FolderModelRegistryTests() => Store = new FolderArtifactStore(_root);

    protected override IArtifactStore Store { get; }

    protected override string Model => "fashion";

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Publish_ManifestWriteFails_LeavesNoVersion()
    {
        var failing = new FailingManifestStore(Store);
        var registry = new ModelRegistry(failing);

        await Assert.ThrowsAsync<IOException>(() => registry.PublishAsync(Model, Bytes(1), Description));

        Assert.Empty(await registry.ListVersionsAsync(Model));
        Assert.Empty(await Store.ListAsync("models/").ToListAsync());
    }

    /// <summary>A store whose manifest writes fail, as a full disk or a dropped connection would.</summary>
    private sealed class FailingManifestStore(IArtifactStore inner) : IArtifactStore
    {
        public string Location => inner.Location;

        public Task<ArtifactInfo?> GetInfoAsync(string path, CancellationToken cancellationToken = default) => inner.GetInfoAsync(path, cancellationToken);

        public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default) => inner.OpenReadAsync(path, cancellationToken);

        public Task<ArtifactContent?> ReadAsync(string path, CancellationToken cancellationToken = default) => inner.ReadAsync(path, cancellationToken);

        public Task<ArtifactInfo> WriteAsync(string path, Stream content, WriteCondition? condition = null, CancellationToken cancellationToken = default) =>
            path.EndsWith(ModelRegistry.ManifestFile, StringComparison.Ordinal)
                ? throw new IOException("disk full")
                : inner.WriteAsync(path, content, condition, cancellationToken);

        public IAsyncEnumerable<string> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);
    }
}

public sealed class BlobModelRegistryTests : ModelRegistryContract
{
    protected override IArtifactStore Store { get; } = TestStores.Azurite();

    protected override string Model { get; } = "m" + Guid.NewGuid().ToString("N")[..12];
}
