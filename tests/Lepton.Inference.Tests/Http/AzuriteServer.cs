using Lepton.Core.Registry;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Inference.Tests.Http;

/// <summary>One server process over Azurite for a test class: two versions of a tiny model, production = 1.</summary>
public sealed class AzuriteServer : IAsyncLifetime
{
    public const int MaxRequestBytes = 300_000;

    public string Model { get; } = "tiny-" + Guid.NewGuid().ToString("N")[..8];

    public ModelRegistry Registry { get; } = new(TestStores.Azurite());

    public ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        foreach (int shift in new[] { 0, 1 })
        {
            byte[] bytes = TinyModels.Linear(shift);
            await Registry.PublishAsync(Model, new MemoryStream(bytes), ModelInspector.Describe(bytes));
        }

        await Registry.SetAliasAsync(Model, "production", 1);
        Server = await ServerProcess.StartAsync(TestStores.AzuriteConnectionString, new Dictionary<string, string>
        {
            ["Lepton__Inference__AliasCacheDuration"] = "00:00:00.200",
            ["Lepton__Inference__MaxRequestBytes"] = MaxRequestBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
