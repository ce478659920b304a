using System.Diagnostics;
using System.Net;
using System.Text;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Inference.Runtime;
using Lepton.Tests;

namespace Lepton.Inference.Tests.Http;

/// <summary>The admin routes of <c>lepton serve</c>: no empty key, keys compared whole, no "local" behind a proxy.</summary>
public sealed class AdminAccessTests : IAsyncLifetime
{
    private const string Model = "admin";
    private readonly string _root = Directory.CreateTempSubdirectory("lepton-admin-").FullName;

    public async Task InitializeAsync()
    {
        var registry = new ModelRegistry(new FolderArtifactStore(_root));
        byte[] bytes = TinyModels.Linear();
        await registry.PublishAsync(Model, new MemoryStream(bytes), ModelInspector.Describe(bytes));
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    private static StringContent Promote() => new("""{"version": 1}""", Encoding.UTF8, "application/json");

    private static async Task<(int ExitCode, string Output)> RunServeAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(ServerProcess.CliPath);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("lepton serve started with an empty admin key and kept running");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Serve_EmptyAdminKeyOption_RefusesToStart()
    {
        var (exitCode, output) = await RunServeAsync(new Dictionary<string, string>(), "serve", "--store", _root, "--port", "0", "--admin-key", "");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("admin key is empty", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_EmptyAdminKeyVariable_RefusesToStart()
    {
        var (exitCode, output) = await RunServeAsync(new Dictionary<string, string> { ["LEPTON_ADMIN_KEY"] = "" }, "serve", "--store", _root, "--port", "0");

        Assert.NotEqual(0, exitCode);
        Assert.Contains("admin key is empty", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithKey_OnlyTheWholeKeyPasses_HeaderOrCode()
    {
        await using var server = await ServerProcess.StartAsync(_root, null, "--admin-key", "s3cret");

        using var none = await server.Client.PutAsync($"/api/models/{Model}/aliases/production", Promote());
        using var empty = await server.Client.PutAsync($"/api/models/{Model}/aliases/production?code=", Promote());
        using var prefix = await server.Client.PutAsync($"/api/models/{Model}/aliases/production?code=s3cre", Promote());
        using var code = await server.Client.PutAsync($"/api/models/{Model}/aliases/production?code=s3cret", Promote());
        using var header = new HttpRequestMessage(HttpMethod.Put, $"/api/models/{Model}/aliases/production") { Content = Promote() };
        header.Headers.Add("x-functions-key", "s3cret");
        using var viaHeader = await server.Client.SendAsync(header);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, empty.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, prefix.StatusCode);
        Assert.Equal(HttpStatusCode.OK, code.StatusCode);
        Assert.Equal(HttpStatusCode.OK, viaHeader.StatusCode);
    }

    [Theory]
    [InlineData("X-Forwarded-For", "203.0.113.7")]
    [InlineData("Forwarded", "for=203.0.113.7")]
    [InlineData("X-Real-IP", "203.0.113.7")]
    public async Task WithoutKey_ARequestThroughAProxy_IsNotLocal(string header, string value)
    {
        await using var server = await ServerProcess.StartAsync(_root);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/models/{Model}/aliases/production") { Content = Promote() };
        request.Headers.Add(header, value);

        using var proxied = await server.Client.SendAsync(request);
        using var direct = await server.Client.PutAsync($"/api/models/{Model}/aliases/production", Promote());

        Assert.Equal(HttpStatusCode.Forbidden, proxied.StatusCode);
        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
    }

    [Fact]
    public async Task WithoutKey_TrustProxy_AcceptsForwardedLoopbackRequests()
    {
        await using var server = await ServerProcess.StartAsync(_root, null, "--trust-proxy");
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/models/{Model}/aliases/production") { Content = Promote() };
        request.Headers.Add("X-Forwarded-For", "127.0.0.1");

        using var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Serve_NonLoopbackWithoutKey_Warns()
    {
        await using var server = await ServerProcess.StartAsync(_root, null, "--host", "0.0.0.0");

        Assert.Contains("without an admin key", server.Output, StringComparison.Ordinal);
    }
}
