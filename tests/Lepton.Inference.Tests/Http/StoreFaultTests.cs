using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Inference.Tests.Http;

/// <summary>Broken registry files answer 503 with the reason, for the broken model only; never 500.</summary>
public sealed class StoreFaultTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("lepton-faults-").FullName;
    private ModelRegistry _registry = null!;
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        _registry = new ModelRegistry(new FolderArtifactStore(_root));
        foreach (string name in new[] { "good", "broken" })
        {
            for (int shift = 0; shift < 2; shift++)
            {
                byte[] bytes = TinyModels.Linear(shift);
                await _registry.PublishAsync(name, new MemoryStream(bytes), ModelInspector.Describe(bytes));
            }

            await _registry.SetAliasAsync(name, "production", 1);
        }

        _server = await ServerProcess.StartAsync(_root, new Dictionary<string, string> { ["Lepton__Inference__AliasCacheDuration"] = "00:00:00" });
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private HttpClient Client => _server.Client;

    private string FileOf(string path) => Path.Combine(_root, path);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Instances => $$"""{"instances":[[{{string.Join(',', TinyModels.ImageFor(1))}}]]}""";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadAsync(Task<HttpResponseMessage> send)
    {
        using var response = await send;
        string body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    [Fact]
    public async Task CorruptManifest_Is503ForThatModelOnly()
    {
        await File.WriteAllTextAsync(FileOf(ModelRegistry.ManifestPath("broken", 2)), "{\"name\": \"broken\", \"vers");

        var (status, body) = await ReadAsync(Client.GetAsync("/api/models/broken"));
        var (goodStatus, _) = await ReadAsync(Client.GetAsync("/api/models/good"));
        var (listStatus, _) = await ReadAsync(Client.GetAsync("/api/models"));
        var (predictStatus, _) = await ReadAsync(Client.PostAsync("/api/models/good/predict", Json(Instances)));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("version 2", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, goodStatus);
        Assert.Equal(HttpStatusCode.OK, listStatus);
        Assert.Equal(HttpStatusCode.OK, predictStatus);
    }

    [Fact]
    public async Task TruncatedAliases_Is503_AndReadinessNamesTheModel()
    {
        string path = FileOf(ModelRegistry.AliasesPath("broken"));
        byte[] aliases = await File.ReadAllBytesAsync(path);
        await File.WriteAllBytesAsync(path, aliases[..(aliases.Length / 2)]);

        var (status, body) = await ReadAsync(Client.PostAsync("/api/models/broken/predict", Json(Instances)));
        var (ready, readiness) = await ReadAsync(Client.GetAsync("/v2/health/ready"));
        var (list, models) = await ReadAsync(Client.GetAsync("/api/models"));
        var (good, _) = await ReadAsync(Client.PostAsync("/api/models/good/predict", Json(Instances)));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("aliases", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
        Assert.Equal("broken", Assert.Single(readiness.GetProperty("broken").EnumerateArray()).GetProperty("model").GetString());
        Assert.Equal(HttpStatusCode.OK, list);
        Assert.Contains(models.GetProperty("models").EnumerateArray(), m => m.TryGetProperty("error", out _));
        Assert.Equal(HttpStatusCode.OK, good);
    }

    [Fact]
    public async Task Readiness_ProductionModelFileDeleted_IsReported()
    {
        Assert.Equal(HttpStatusCode.OK, (await ReadAsync(Client.GetAsync("/v2/health/ready"))).Status);
        File.Delete(FileOf(ModelRegistry.ModelPath("broken", 1)));

        var (ready, readiness) = await ReadAsync(Client.GetAsync("/v2/health/ready"));
        var (predict, _) = await ReadAsync(Client.PostAsync("/api/models/broken/predict", Json(Instances)));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready);
        Assert.Contains("missing", readiness.GetProperty("broken")[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, predict);
    }

    [Fact]
    public async Task NonOnnxFileWithMatchingHash_Is503()
    {
        byte[] junk = Encoding.UTF8.GetBytes("this is not an ONNX model, but the manifest's hash matches it");
        var manifest = await _registry.GetManifestAsync("broken", 2);
        await File.WriteAllBytesAsync(FileOf(ModelRegistry.ModelPath("broken", 2)), junk);
        await File.WriteAllTextAsync(FileOf(ModelRegistry.ManifestPath("broken", 2)),
            Core.Contracts.LeptonJson.Serialize(manifest with { Sha256 = Convert.ToHexStringLower(SHA256.HashData(junk)), SizeBytes = junk.Length }));

        var (status, body) = await ReadAsync(Client.PostAsync("/api/models/broken/predict?version=2", Json(Instances)));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("ONNX Runtime cannot load", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promote_AVersionFailingItsIntegrityCheck_Is409_AndTheAliasStays()
    {
        await File.WriteAllBytesAsync(FileOf(ModelRegistry.ModelPath("broken", 2)), TinyModels.Linear(shift: 5));

        var (status, body) = await ReadAsync(Client.PutAsync("/api/models/broken/aliases/production", Json("""{"version": 2}""")));

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("SHA-256", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, (await _registry.GetAliasesAsync("broken")).Aliases["production"]);
    }

    [Fact]
    public async Task AliasPut_OnAReadOnlyStore_Is503_AndTheSignatureIsNotPrinted()
    {
        var azurite = new BlobServiceClient(TestStores.AzuriteConnectionString);
        var registry = new ModelRegistry(new BlobArtifactStore(azurite));
        string model = "ro-" + Guid.NewGuid().ToString("N")[..8];
        byte[] bytes = TinyModels.Linear();
        await registry.PublishAsync(model, new MemoryStream(bytes), ModelInspector.Describe(bytes));
        var sas = azurite.GenerateAccountSasUri(AccountSasPermissions.Read | AccountSasPermissions.List, DateTimeOffset.UtcNow.AddHours(1), AccountSasResourceTypes.All);
        string readOnly = $"BlobEndpoint={azurite.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/')};SharedAccessSignature={sas.Query.TrimStart('?')}";
        await using var server = await ServerProcess.StartAsync(readOnly);

        using var response = await server.Client.PutAsync($"/api/models/{model}/aliases/production", Json("""{"version": 1}"""));
        string error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString()!;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("store refused", error, StringComparison.Ordinal);
        Assert.Contains("serving on", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("sig=", server.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(System.Web.HttpUtility.ParseQueryString(sas.Query)["sig"]!, server.Output, StringComparison.Ordinal);
    }
}
