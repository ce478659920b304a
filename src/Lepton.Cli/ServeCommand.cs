using System.Net;
using Lepton.Inference.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Lepton.Cli;

/// <summary>
/// <c>lepton serve</c>: the inference API on Kestrel, bound to 127.0.0.1 unless told otherwise. Admin
/// routes need the admin key (header <c>x-functions-key</c>, as in Azure Functions) when one is set
/// (<c>--admin-key</c> or LEPTON_ADMIN_KEY; an empty key is refused); without one they answer only
/// loopback clients that did not come through a proxy (see <see cref="AdminAccess"/>).
/// </summary>
public static class ServeCommand
{
    public const string AdminKeyVariable = Core.Contracts.LeptonSettings.AdminKey;

    public static async Task<int> RunAsync(CliArgs args, string? store, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        string host = args.Get("--host") ?? "127.0.0.1";
        int port = args.GetInt("--port", 0, 65535) ?? 8080;
        if (!IPAddress.TryParse(host, out var address))
        {
            throw new UsageException($"--host takes an IP address, not '{host}'");
        }

        var admin = new AdminAccess(args.Get("--admin-key") ?? Environment.GetEnvironmentVariable(AdminKeyVariable), args.Has("--trust-proxy"));
        if (!admin.HasKey && !IPAddress.IsLoopback(address))
        {
            await Console.Error.WriteLineAsync($"lepton: warning: serving on {address}, not loopback, without an admin key: admin routes answer only loopback clients; set --admin-key or {AdminKeyVariable}").ConfigureAwait(false);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Lepton", LogLevel.Information);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(address, port);
            k.AddServerHeader = false;
        });
        builder.Services.AddLeptonInference(store, builder.Configuration);
        await using var app = builder.Build();
        app.MapInferenceApi(admin.AuthorizeAsync);
        await app.StartAsync().ConfigureAwait(false);
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        foreach (string url in app.Urls)
        {
            await output.WriteLineAsync($"lepton: serving on {url} (store {app.Services.GetRequiredService<Core.Storage.IArtifactStore>().Location})").ConfigureAwait(false);
        }

        await output.FlushAsync().ConfigureAwait(false);
        await app.WaitForShutdownAsync(lifetime.ApplicationStopping).ConfigureAwait(false);
        return 0;
    }
}
