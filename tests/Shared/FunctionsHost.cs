using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Lepton.Tests;

/// <summary>
/// The Functions app under a real Azure Functions host on a free loopback port: the Release build of
/// <c>src/Lepton.Functions.Local</c> (the app with its local-only upload trigger), a fresh
/// local.settings.json, a known function key; stopped (with its worker and anything the worker started)
/// on dispose. Which host: <see cref="Locate"/>.
/// </summary>
public sealed class FunctionsHost : IAsyncDisposable
{
    /// <summary>Command (with any leading arguments) of a host taking func-host's arguments.</summary>
    public const string HostVariable = "LEPTON_FUNCTIONS_HOST";

    /// <summary>The app's build output to run (default: the Release build of src/Lepton.Functions.Local).</summary>
    public const string AppVariable = "LEPTON_FUNCTIONS_APP";

    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly string _settingsFolder;

    private FunctionsHost(Process process, int port, string key, bool enforcesKeys, string settingsFolder)
    {
        _process = process;
        Port = port;
        FunctionKey = key;
        EnforcesKeys = enforcesKeys;
        _settingsFolder = settingsFolder;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public int Port { get; }

    public string FunctionKey { get; }

    /// <summary>False under Core Tools (<c>func start</c> skips keys); true under func-host, as in Azure.</summary>
    public bool EnforcesKeys { get; }

    public HttpClient Client { get; }

    public int ProcessId => _process.Id;

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
    /// The host to use, in this order: <c>LEPTON_FUNCTIONS_HOST</c>, <c>func</c> on PATH, the repository's
    /// sibling <c>../shared/tools/functions-host/func-host</c>. Null (with the reason) when there is none.
    /// </summary>
    public static HostCommand? Locate(out string reason)
    {
        if (Environment.GetEnvironmentVariable(HostVariable) is { Length: > 0 } configured)
        {
            reason = $"{HostVariable}={configured}";
            return new HostCommand(HostKind.Configured, configured);
        }

        string? func = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "func"))
            .FirstOrDefault(File.Exists);
        if (func is not null)
        {
            reason = func;
            return new HostCommand(HostKind.CoreTools, func);
        }

        string funcHost = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "tools", "functions-host", "func-host"));
        if (File.Exists(funcHost))
        {
            reason = funcHost;
            return new HostCommand(HostKind.FuncHost, funcHost);
        }

        reason = $"no Azure Functions host: set {HostVariable}, put Core Tools' func on PATH, or provide {funcHost}";
        return null;
    }

    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Lepton.Functions.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("the tests run outside the repository");
        }
    }

    /// <summary>The app's build output; built (Release) when it is missing.</summary>
    public static string AppFolder()
    {
        if (Environment.GetEnvironmentVariable(AppVariable) is { Length: > 0 } configured)
        {
            return configured;
        }

        string project = Path.Combine(RepositoryRoot, "src", "Lepton.Functions.Local");
        string folder = Path.Combine(project, "bin", "Release", "net10.0");
        if (!File.Exists(Path.Combine(folder, "functions.metadata")))
        {
            using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", project, "-c", "Release", "-nologo", "-v", "quiet"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            string log = build.StandardOutput.ReadToEnd() + build.StandardError.ReadToEnd();
            build.WaitForExit();
            if (build.ExitCode != 0)
            {
                throw new InvalidOperationException($"building {project} failed: {log}");
            }
        }

        return folder;
    }

    /// <summary>Starts the app under the located host with these app settings and waits until its routes answer.</summary>
    public static async Task<FunctionsHost> StartAsync(IReadOnlyDictionary<string, string> settings, string? appFolder = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var command = Locate(out string reason) ?? throw new InvalidOperationException(reason);
        string app = appFolder ?? AppFolder();
        int port = FreePort();
        string key = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        string settingsFolder = Directory.CreateTempSubdirectory("lepton-host-").FullName;
        var values = new Dictionary<string, string>(settings) { ["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated" };
        values.TryAdd("AzureWebJobsStorage", "UseDevelopmentStorage=true");
        // The host id comes from the machine name: two hosts on one machine would share the timer's
        // singleton lock in storage, and only one of them would ever run its timers.
        values.TryAdd("AzureFunctionsWebHost__hostid", "lepton-test-" + key[..12]);
        string settingsFile = Path.Combine(settingsFolder, "local.settings.json");
        await File.WriteAllTextAsync(settingsFile, JsonSerializer.Serialize(new { IsEncrypted = false, Values = values }));

        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] hostArgs = ["--app", app, "--port", port.ToString(CultureInfo.InvariantCulture), "--settings", settingsFile, "--function-key", key];
        switch (command.Kind)
        {
            case HostKind.CoreTools:
                // Core Tools reads local.settings.json from the folder it starts in.
                File.Copy(settingsFile, Path.Combine(app, "local.settings.json"), overwrite: true);
                start.FileName = command.Command;
                start.WorkingDirectory = app;
                start.ArgumentList.Add("start");
                start.ArgumentList.Add("--port");
                start.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
                break;
            default:
                // A command line: run through the shell so a configured value may carry its own arguments.
                start.FileName = "/bin/sh";
                start.ArgumentList.Add("-c");
                start.ArgumentList.Add($"exec {command.Command} \"$@\"");
                start.ArgumentList.Add("func-host");
                foreach (string arg in hostArgs)
                {
                    start.ArgumentList.Add(arg);
                }

                break;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{command.Command} did not start");
        var host = new FunctionsHost(process, port, key, command.Kind != HostKind.CoreTools, settingsFolder);
        process.OutputDataReceived += (_, e) => host.Append(e.Data);
        process.ErrorDataReceived += (_, e) => host.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await host.WaitReadyAsync(TimeSpan.FromSeconds(90));
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    /// <summary>A request with the function key in the header.</summary>
    public HttpRequestMessage WithKey(HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Add("x-functions-key", FunctionKey);
        return request;
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the Functions host exited with {_process.ExitCode}: {Output}");
            }

            try
            {
                using var response = await Client.GetAsync("/v2/health/live");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // starting
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the Functions host did not answer within {timeout.TotalSeconds} s: {Output}");
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Add(line);
                if (Environment.GetEnvironmentVariable("LEPTON_HOST_LOG") is { Length: > 0 } log)
                {
                    File.AppendAllText(log, line + "\n");
                }
            }
        }
    }

    /// <summary>Every process below <paramref name="pid"/> now (the worker, trainers it started), from /proc.</summary>
    public static IReadOnlyList<int> Descendants(int pid)
    {
        var parents = new Dictionary<int, int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int child))
            {
                continue;
            }

            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[child] = int.Parse(fields[1], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // exited while we looked
            }
        }

        var result = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.Count > 0)
        {
            int parent = queue.Dequeue();
            foreach (var (child, p) in parents)
            {
                if (p == parent)
                {
                    result.Add(child);
                    queue.Enqueue(child);
                }
            }
        }

        return result;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Kills the host, its worker and everything they started (SIGKILL), as a crash would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        var descendants = Descendants(_process.Id);
        if (!_process.HasExited)
        {
            // SIGTERM first: the host stops its worker and releases its leases; then whatever is left.
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                // stopping too slowly
            }

            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        foreach (int pid in descendants)
        {
            try
            {
                using var orphan = Process.GetProcessById(pid);
                orphan.Kill(entireProcessTree: true);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // already gone
            }
        }

        try
        {
            Directory.Delete(_settingsFolder, recursive: true);
        }
        catch (IOException)
        {
            // left for the temp folder's cleanup
        }
    }
}

public enum HostKind
{
    Configured,
    CoreTools,
    FuncHost,
}

public sealed record HostCommand(HostKind Kind, string Command);
