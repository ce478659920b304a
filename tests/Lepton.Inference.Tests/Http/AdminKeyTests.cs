using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Inference.Tests.Http;

// The conformance suite of the HTTP API (every route, the malformed-request table, body limits) runs
// against both `lepton serve` and the Functions host in tests/Lepton.Host.Tests.

public sealed class AdminKeyTests
{
    [Fact]
    public async Task AdminRoute_WithKeySet_NeedsTheKey()
    {
        string model = "admin-" + Guid.NewGuid().ToString("N")[..8];
        var registry = new ModelRegistry(TestStores.Azurite());
        byte[] bytes = TinyModels.Linear();
        await registry.PublishAsync(model, new MemoryStream(bytes), ModelInspector.Describe(bytes));
        await using var server = await ServerProcess.StartAsync(TestStores.AzuriteConnectionString, null, "--admin-key", "s3cret");

        using var without = await server.Client.PutAsync($"/api/models/{model}/aliases/production", new StringContent("{\"version\":1}", Encoding.UTF8, "application/json"));
        using var wrong = new HttpRequestMessage(HttpMethod.Put, $"/api/models/{model}/aliases/production") { Content = new StringContent("{\"version\":1}", Encoding.UTF8, "application/json") };
        wrong.Headers.Add("x-functions-key", "guess");
        using var wrongResponse = await server.Client.SendAsync(wrong);
        using var right = new HttpRequestMessage(HttpMethod.Put, $"/api/models/{model}/aliases/production") { Content = new StringContent("{\"version\":1}", Encoding.UTF8, "application/json") };
        right.Headers.Add("x-functions-key", "s3cret");
        using var rightResponse = await server.Client.SendAsync(right);

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rightResponse.StatusCode);
        Assert.Equal(1, (await registry.GetAliasesAsync(model)).Aliases["production"]);
    }
}
