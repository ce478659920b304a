using System.Globalization;
using Lepton.Core.Registry;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Host.Tests;

/// <summary>
/// Both hosts over one Azurite registry, started on first use and shared by every test class in the
/// collection: <c>lepton serve</c> and the Functions app under the Functions host. Holds a tiny model with
/// two versions (production = 1).
/// </summary>
public sealed class HostsFixture : IAsyncLifetime, IDisposable
{
    public const int MaxRequestBytes = 300_000;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _uploadModels = new(StringComparer.Ordinal);
    private ServerProcess? _serve;
    private FunctionsHost? _functions;

    public string Model { get; } = "tiny-" + Guid.NewGuid().ToString("N")[..8];

    public ModelRegistry Registry { get; } = new(TestStores.Azurite());

    public string Work { get; } = Directory.CreateTempSubdirectory("lepton-host-tests-").FullName;

    /// <summary>A zip of a small Fashion-MNIST slice in IDX form, in <see cref="Work"/>.</summary>
    public string IdxArchive(string name, int train = 600, int test = 100)
    {
        string folder = TestDatasets.WriteSlice(Path.Combine(Work, name), train, test);
        string archive = Path.Combine(Work, name + ".zip");
        System.IO.Compression.ZipFile.CreateFromDirectory(folder, archive);
        return archive;
    }

    /// <summary>The app settings the Functions host runs with (as a local.settings.json would give them).</summary>
    public Dictionary<string, string> FunctionsSettings { get; } = new()
    {
        ["LEPTON_STORE"] = TestStores.AzuriteConnectionString,
        ["AzureWebJobsStorage"] = TestStores.AzuriteConnectionString, // the Durable task hub in the same Azurite (whichever ports it is on)
        ["LEPTON_COMPUTE_TARGET"] = "process",
        ["LEPTON_GATE_MIN_ACCURACY"] = "0.5",
        ["LEPTON_POLL_INTERVAL"] = "00:00:01",
        ["AzureWebJobs.DatasetUploaded.Disabled"] = "true",
        ["AzureWebJobs.BatchUploaded.Disabled"] = "true",
        ["Lepton__Inference__AliasCacheDuration"] = "00:00:00.200",
        ["Lepton__Inference__MaxRequestBytes"] = MaxRequestBytes.ToString(CultureInfo.InvariantCulture),
    };

    public async Task InitializeAsync()
    {
        foreach (int shift in new[] { 0, 1 })
        {
            byte[] bytes = TinyModels.Linear(shift);
            await Registry.PublishAsync(Model, new MemoryStream(bytes), ModelInspector.Describe(bytes));
        }

        await Registry.SetAliasAsync(Model, "production", 1);
        FunctionsSettings["TASKHUB_NAME"] = "t" + Guid.NewGuid().ToString("N")[..12];
        FunctionsSettings["LEPTON_WORK"] = Path.Combine(Work, "functions");
    }

    public async Task<ServerProcess> ServeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            return _serve ??= await ServerProcess.StartAsync(TestStores.AzuriteConnectionString, new Dictionary<string, string>
            {
                ["Lepton__Inference__AliasCacheDuration"] = "00:00:00.200",
                ["Lepton__Inference__MaxRequestBytes"] = MaxRequestBytes.ToString(CultureInfo.InvariantCulture),
            });
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<FunctionsHost> FunctionsAsync()
    {
        await _gate.WaitAsync();
        try
        {
            return _functions ??= await FunctionsHost.StartAsync(FunctionsSettings);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<HttpClient> ClientAsync(string host) => host switch
    {
        Hosts.Serve => (await ServeAsync()).Client,
        Hosts.Functions => (await FunctionsAsync()).Client,
        _ => throw new ArgumentOutOfRangeException(nameof(host), host, "serve or functions"),
    };

    /// <summary>What the host printed (for failure messages and checks for unhandled errors).</summary>
    public string Output(string host) => host == Hosts.Serve ? _serve?.Output ?? string.Empty : _functions?.Output ?? string.Empty;

    /// <summary>Notes a model whose uploads (<c>datasets/{model}/</c>) are removed at the end, so no later host scans them.</summary>
    public void UploadedTo(string model) => _uploadModels.TryAdd(model, true);

    public async Task DisposeAsync()
    {
        foreach (string model in _uploadModels.Keys)
        {
            await foreach (string path in Registry.Store.ListAsync($"datasets/{model}/"))
            {
                await Registry.Store.DeleteAsync(path);
            }
        }

        if (_serve is not null)
        {
            await _serve.DisposeAsync();
        }

        if (_functions is not null)
        {
            await _functions.DisposeAsync();
        }

        Directory.Delete(Work, recursive: true);
    }

    public void Dispose() => _gate.Dispose();
}

[CollectionDefinition(Name)]
public sealed class HostsCollection : ICollectionFixture<HostsFixture>
{
    public const string Name = "hosts";
}
