using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Reliability.Tests;

/// <summary>A folder store with a tiny model's versions published and a real <c>lepton serve</c> over it.</summary>
internal sealed class TinyServer : IAsyncDisposable
{
    private TinyServer(string root, ModelRegistry registry, ServerProcess server)
    {
        Root = root;
        Registry = registry;
        Server = server;
    }

    public string Root { get; }

    public ModelRegistry Registry { get; }

    public ServerProcess Server { get; }

    public static async Task<TinyServer> StartAsync(string model, int versions, IReadOnlyDictionary<string, string>? environment = null)
    {
        string root = Directory.CreateTempSubdirectory("lepton-reliability-").FullName;
        var registry = new ModelRegistry(new FolderArtifactStore(root));
        for (int shift = 0; shift < versions; shift++)
        {
            byte[] bytes = TinyModels.Linear(shift);
            await registry.PublishAsync(model, new MemoryStream(bytes), ModelInspector.Describe(bytes));
        }

        await registry.SetAliasAsync(model, ModelRegistry.DefaultAlias, 1);
        return new TinyServer(root, registry, await ServerProcess.StartAsync(root, environment));
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }
}
