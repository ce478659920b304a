using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Lepton.Tests;

/// <summary>A real <c>lepton serve</c> process on a loopback port of its own choosing, stopped on dispose.</summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private ServerProcess(Process process) => _process = process;

    /// <summary>The port the server bound (it is started with port 0 and says which one it got).</summary>
    public int Port { get; private set; }

    public HttpClient Client { get; private set; } = new();

    /// <summary>The server's process id (its resident memory is in /proc/{id}/status).</summary>
    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>
    /// The <c>lepton.dll</c> the tests run: this build's, or LEPTON_TEST_CLI (to run a suite against
    /// another build, e.g. to see a test fail before a fix).
    /// </summary>
    public static string CliPath =>
        Environment.GetEnvironmentVariable("LEPTON_TEST_CLI") is { Length: > 0 } other ? other : Path.Combine(AppContext.BaseDirectory, "lepton.dll");

    public static async Task<ServerProcess> StartAsync(string store, IReadOnlyDictionary<string, string>? environment = null, params string[] extraArgs)
    {
        // Port 0, and the port read back from the "serving on" line: no free port picked here and bound
        // later by the server (another connection could take it meanwhile), and that line is in Output
        // before any test reads it.
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(CliPath);
        foreach (string arg in new[] { "serve", "--store", store, "--port", "0" }.Concat(extraArgs))
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"lepton serve exited with {process.ExitCode}: {server.Output}");
            }

            if (server.Port == 0 && ServingOn().Match(server.Output) is { Success: true } serving)
            {
                server.Port = int.Parse(serving.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                server.Client.Dispose();
                server.Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}"), Timeout = TimeSpan.FromSeconds(30) };
            }

            if (server.Port != 0)
            {
                try
                {
                    using var response = await server.Client.GetAsync("/v2/health/live");
                    if (response.IsSuccessStatusCode)
                    {
                        return server;
                    }
                }
                catch (HttpRequestException)
                {
                    // not answering yet
                }
            }

            await Task.Delay(50);
        }

        await server.DisposeAsync();
        throw new TimeoutException($"lepton serve did not answer within 30 s: {server.Output}");
    }

    [GeneratedRegex(@"lepton: serving on http://[^\s/]+:(\d+)")]
    private static partial Regex ServingOn();

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
