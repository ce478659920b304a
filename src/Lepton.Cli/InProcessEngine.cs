using System.Net;
using System.Net.Sockets;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.Logging;

namespace Lepton.Cli;

/// <summary>
/// The in-process Durable Task engine the CLI runs orchestrations on. Its gRPC sidecar gets a port the
/// system says is free (the engine's own default draws one from 30000-40000, inside Linux's ephemeral
/// range, where an outgoing connection may hold it), tried again with another if the bind still fails.
/// </summary>
internal static class InProcessEngine
{
    private const int Attempts = 5;

    /// <summary>
    /// How many activities to run at once on this engine without waiting on it. The engine admits one
    /// activity per core and, once that many are running, looks for the next only every 500 ms
    /// (<c>WorkItemDispatcher.WaitForAllClear</c> in durabletask-dotnet's in-process host): at the limit
    /// every finished activity leaves its slot idle for a quarter of a second on average. One fewer than
    /// the cores never reaches it (batch scoring on 2 cores: chunks of 1,024 one at a time 2.1 s against
    /// 3.6 s two at a time; each chunk already decodes on every core).
    /// </summary>
    public static int UnthrottledActivities => Math.Max(1, Environment.ProcessorCount - 1);

    public static async Task<DurableTaskTestHost> StartAsync(Action<DurableTaskRegistry> tasks, ILoggerFactory? loggers = null)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await DurableTaskTestHost.StartAsync(tasks, new DurableTaskTestHostOptions { LoggerFactory = loggers, Port = FreePort() }).ConfigureAwait(false);
            }
            catch (IOException) when (attempt < Attempts)
            {
                // the port was taken between the check and the bind: another one
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
