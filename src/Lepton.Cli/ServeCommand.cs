using System.CommandLine;
using System.Net;
using Lepton.CommandLine;
using Lepton.Inference.Http;
using Lepton.Inference.Runtime;
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

    public static Command Create(Option<string?> store)
    {
        var port = CliOptions.Whole("--port", "the port to listen on (0: any free one, printed)", 8080, 0, 65535);
        var host = CliOptions.Text("--host", "address", "the IP address to listen on", "127.0.0.1");
        var adminKey = CliOptions.Optional("--admin-key", "key", "the admin routes' key (header x-functions-key); not empty", $"{AdminKeyVariable}, else admin routes answer loopback clients only");
        var trustProxy = CliOptions.Flag("--trust-proxy", "a proxy in front says which clients are local (X-Forwarded-For and the like are believed)");
        var command = new Command("serve", "the inference API and the web console on 127.0.0.1:8080") { port, host, adminKey, trustProxy };
        command.SetAction((result, _) =>
        {
            string address = result.GetValue(host)!;
            var admin = new AdminAccess(result.GetValue(adminKey) ?? Environment.GetEnvironmentVariable(AdminKeyVariable), result.GetValue(trustProxy));
            return RunAsync(IPAddress.TryParse(address, out var ip) ? ip : throw new UsageException($"--host takes an IP address, not '{address}'"), result.GetValue(port), admin, result.GetValue(store), Console.Out);
        });
        return command;
    }

    public static async Task<int> RunAsync(IPAddress address, int port, AdminAccess admin, string? store, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(output);
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
            k.Listen(address, port, listen => listen.Use(next => connection => ClientConnections.TrackAsync(() => next(connection))));
            k.AddServerHeader = false;
        });
        // A lone client's single images run on a spinning session (InferenceOptions.SpinWhenAlone): Kestrel
        // counts the connections above. Settings may still turn it off (Lepton__Inference__SpinWhenAlone=false).
        builder.Configuration[$"{InferenceOptions.Section}:{nameof(InferenceOptions.SpinWhenAlone)}"] ??= "true";
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
