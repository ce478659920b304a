using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Lepton.Functions.Tests;

/// <summary>
/// The azd hooks (infra/hooks), both variants: POSIX sh (*.sh) and pwsh (*.ps1). They are parsed, their az
/// calls are checked against each other and for --subscription, and they are run against a fake az (and azd)
/// placed first on PATH that records its calls and answers from canned rules. No Azure is reached.
/// pwsh: the NuGet dotnet tool PowerShell, which scripts/test.sh installs and names in LEPTON_PWSH
/// (Debian has no powershell package).
/// </summary>
public sealed partial class HookTests
{
    private const string Subscription = "0b1c2d3e-sub";
    private static readonly string Root = FindRoot();
    private static readonly string HooksDir = Path.Combine(Root, "infra", "hooks");

    public static TheoryData<string> Hooks => new() { "preprovision", "postprovision", "postdeploy", "postdown" };

    /// <summary>The hooks that call az (postdown only calls azd).</summary>
    public static TheoryData<string> AzHooks => new() { "preprovision", "postprovision", "postdeploy" };

    public static TheoryData<string> Shells => new() { "sh", "pwsh" };

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Lepton.Functions.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    private static string Pwsh()
    {
        string? configured = Environment.GetEnvironmentVariable("LEPTON_PWSH");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
        {
            return configured;
        }

        string? onPath = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Select(d => Path.Combine(d, "pwsh")).FirstOrDefault(File.Exists);
        Assert.True(onPath is not null, "pwsh not found (LEPTON_PWSH or PATH): scripts/test.sh installs it (dotnet tool PowerShell) and sets LEPTON_PWSH");
        return onPath!;
    }

    private sealed record Run(int ExitCode, string Stdout, string Stderr, IReadOnlyList<string> Calls)
    {
        public string Output => Stdout + Stderr;

        public IEnumerable<string> CallsOf(string prefix) => Calls.Where(c => c.StartsWith(prefix, StringComparison.Ordinal));
    }

    private static Run RunProcess(string file, IEnumerable<string> args, string workDir, IDictionary<string, string> env, string callsFile)
    {
        var start = new ProcessStartInfo(file, args)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("AZURE_", StringComparison.Ordinal) || k.StartsWith("LEPTON_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in env)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(120)), $"{file} {string.Join(' ', args)} did not finish");
        string[] calls = File.Exists(callsFile) ? File.ReadAllLines(callsFile) : [];
        return new Run(process.ExitCode, stdout, stderr.Result, calls);
    }

    /// <summary>
    /// A fake az and azd in a folder put first on PATH. Each call is appended to 'calls' as "az ARGS" or "azd
    /// ARGS"; the answer is the first rule whose glob matches that line and has uses left: its stdout, its
    /// stderr and its exit code. A call no rule matches fails with exit 97.
    /// </summary>
    private sealed class FakeAz : IDisposable
    {
        private const string Script = """
            #!/bin/sh
            line="${0##*/} $*"
            printf '%s\n' "$line" >> "$FAKE_AZ_DIR/calls"
            n=0
            while IFS='|' read -r pattern times code; do
              n=$((n + 1))
              case "$line" in
                $pattern) ;;
                *) continue ;;
              esac
              used=$(cat "$FAKE_AZ_DIR/used.$n" 2>/dev/null || echo 0)
              if [ "$times" -gt 0 ] && [ "$used" -ge "$times" ]; then continue; fi
              echo $((used + 1)) > "$FAKE_AZ_DIR/used.$n"
              cat "$FAKE_AZ_DIR/out.$n"
              cat "$FAKE_AZ_DIR/err.$n" >&2
              exit "$code"
            done < "$FAKE_AZ_DIR/rules"
            echo "fake az: no rule for: $line" >&2
            exit 97

            """;

        private readonly StringBuilder rules = new();
        private int count;

        public FakeAz()
        {
            Dir = Directory.CreateTempSubdirectory("lepton-fake-az-").FullName;
            foreach (string name in new[] { "az", "azd" })
            {
                string path = Path.Combine(Dir, name);
                File.WriteAllText(path, Script.Replace("\r", string.Empty, StringComparison.Ordinal));
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }
        }

        public string Dir { get; }

        public string CallsFile => Path.Combine(Dir, "calls");

        /// <summary>Answers calls matching <paramref name="glob"/> (a sh case pattern over "az ARGS"); times 0: always.</summary>
        public FakeAz On(string glob, string stdout = "", int exit = 0, string stderr = "", int times = 0)
        {
            count++;
            File.WriteAllText(Path.Combine(Dir, $"out.{count}"), stdout);
            File.WriteAllText(Path.Combine(Dir, $"err.{count}"), stderr);
            rules.Append(CultureInfo.InvariantCulture, $"{glob}|{times}|{exit}\n");
            return this;
        }

        /// <summary>Runs infra/hooks/HOOK.sh (with sh, as azd does) or HOOK.ps1 (with pwsh) of the repository at <paramref name="root"/>.</summary>
        public Run RunHook(string shell, string hook, IDictionary<string, string> env, string? root = null)
        {
            root ??= Root;
            File.WriteAllText(Path.Combine(Dir, "rules"), rules.ToString());
            File.Delete(CallsFile);
            foreach (string used in Directory.GetFiles(Dir, "used.*"))
            {
                File.Delete(used);
            }

            var all = new Dictionary<string, string>(env)
            {
                ["FAKE_AZ_DIR"] = Dir,
                ["PATH"] = Dir + ":" + Environment.GetEnvironmentVariable("PATH"),
                ["LEPTON_HOOK_RETRY_DELAY"] = "0",
            };
            all.TryAdd("AZURE_SUBSCRIPTION_ID", Subscription);
            string script = Path.Combine(root, "infra", "hooks", hook + (shell == "sh" ? ".sh" : ".ps1"));
            return shell == "sh"
                ? RunProcess("sh", [script], root, all, CallsFile)
                : RunProcess(Pwsh(), ["-NoProfile", "-NonInteractive", "-File", script], root, all, CallsFile);
        }

        public void Dispose() => Directory.Delete(Dir, recursive: true);
    }

    // --- parsing ----------------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Hooks))]
    public void EveryHook_HasBothVariants_WiredInAzureYaml(string hook)
    {
        string yaml = File.ReadAllText(Path.Combine(Root, "azure.yaml"));
        var block = Regex.Match(yaml, $@"(?ms)^  {hook}:\s*\n(.*?)(?=^  \S|\z)");

        Assert.True(block.Success, $"azure.yaml has no {hook} hook");
        Assert.Matches($@"posix:\s*\n\s+shell: sh\s*\n\s+run: infra/hooks/{hook}\.sh", block.Groups[1].Value);
        Assert.Matches($@"windows:\s*\n\s+shell: pwsh\s*\n\s+run: infra/hooks/{hook}\.ps1", block.Groups[1].Value);
        Assert.True(File.Exists(Path.Combine(HooksDir, hook + ".sh")));
        Assert.True(File.Exists(Path.Combine(HooksDir, hook + ".ps1")));
    }

    [Fact]
    public void PosixHooks_ParseWithBashAndDash()
    {
        string[] scripts = Directory.GetFiles(HooksDir, "*.sh");
        Assert.Equal(5, scripts.Length); // four hooks and common.sh

        foreach (string parser in new[] { "bash", "dash" })
        {
            foreach (string script in scripts)
            {
                var run = RunProcess(parser, ["-n", script], Root, new Dictionary<string, string>(), "/nonexistent");
                Assert.True(run.ExitCode == 0, $"{parser} -n {Path.GetFileName(script)}: {run.Stderr}");
            }
        }

        // And a broken script is caught: the check is real.
        string broken = Path.Combine(Path.GetTempPath(), $"lepton-broken-{Environment.ProcessId}.sh");
        File.WriteAllText(broken, "if true; then\n  echo missing fi\n");
        try
        {
            Assert.NotEqual(0, RunProcess("dash", ["-n", broken], Root, new Dictionary<string, string>(), "/nonexistent").ExitCode);
        }
        finally
        {
            File.Delete(broken);
        }
    }

    [Fact]
    public void PwshHooks_ParseWithPowerShell()
    {
        string[] scripts = Directory.GetFiles(HooksDir, "*.ps1");
        Assert.Equal(5, scripts.Length); // four hooks and common.ps1
        string check = string.Join("; ", scripts.Append("/nonexistent/broken.ps1").Select(s =>
            $"$e = $null; [void][System.Management.Automation.Language.Parser]::ParseInput((Get-Content -Raw '{s}' -ErrorAction SilentlyContinue) ?? 'if (', [ref]$null, [ref]$e); \"{Path.GetFileName(s)}: $($e.Count)\""));

        var run = RunProcess(Pwsh(), ["-NoProfile", "-NonInteractive", "-Command", check], Root, new Dictionary<string, string>(), "/nonexistent");

        Assert.Equal(0, run.ExitCode);
        foreach (string script in scripts)
        {
            Assert.Contains($"{Path.GetFileName(script)}: 0", run.Stdout, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("broken.ps1: 0", run.Stdout, StringComparison.Ordinal); // a parse error is counted
    }

    // --- the az calls, read from the scripts ------------------------------------------------------

    /// <summary>One az call in a script: its command words ("acr build") and its flags in order of appearance.</summary>
    private sealed record AzCall(string Command, IReadOnlyList<string> Flags, string Text);

    [GeneratedRegex(@"(?<![\w$-])az\s+(?=[a-z])")]
    private static partial Regex AzStart();

    private static List<AzCall> AzCalls(string script)
    {
        char continuation = script.EndsWith(".ps1", StringComparison.Ordinal) ? '`' : '\\';
        var logical = new List<string>();
        var current = new StringBuilder();
        foreach (string raw in File.ReadAllLines(script))
        {
            string line = raw.TrimEnd();
            if (line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (line.EndsWith(continuation))
            {
                current.Append(line[..^1]).Append(' ');
                continue;
            }

            logical.Add(current.Append(line).ToString());
            current.Clear();
        }

        var calls = new List<AzCall>();
        foreach (string line in logical)
        {
            foreach (Match start in AzStart().Matches(line))
            {
                string text = CallText(line[start.Index..]);
                string[] tokens = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                string command = string.Join(' ', tokens.Skip(1).TakeWhile(t => Regex.IsMatch(t, "^[a-z][a-z-]*$")));
                var flags = tokens.Skip(1).Where(t => Regex.IsMatch(t, "^--?[a-z][a-z-]*$")).ToList();
                calls.Add(new AzCall(command, flags, text));
            }
        }

        return calls;
    }

    /// <summary>The call alone: up to the first ')', ';', '|' or '&amp;&amp;' outside quotes and parentheses of its own.</summary>
    private static string CallText(string rest)
    {
        int depth = 0;
        char quote = '\0';
        for (int i = 0; i < rest.Length; i++)
        {
            char c = rest[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '(')
            {
                depth++;
            }
            else if (c == ')' && depth-- == 0)
            {
                return rest[..i];
            }
            else if (depth == 0 && (c is ';' or '|' || (c == '&' && i + 1 < rest.Length && rest[i + 1] == '&')))
            {
                return rest[..i];
            }
        }

        return rest;
    }

    [Theory]
    [MemberData(nameof(AzHooks))]
    public void EveryAzCall_IsPinnedToAzdsSubscription(string hook)
    {
        foreach (string ext in new[] { ".sh", ".ps1" })
        {
            var calls = AzCalls(Path.Combine(HooksDir, hook + ext));
            Assert.NotEmpty(calls);
            Assert.All(calls, call => Assert.True(call.Flags.Contains("--subscription"), $"{hook}{ext}: az {call.Command} has no --subscription: {call.Text}"));
        }
    }

    [Fact]
    public void AzCallScanner_SeesContinuedLinesAndCallsInsideSubstitutions()
    {
        string sample = Path.Combine(Path.GetTempPath(), $"lepton-scan-{Environment.ProcessId}.sh");
        File.WriteAllText(sample, "# az not a call\nx=$(az rest --method get \\\n  --subscription \"$s\" --query \"f(a)\") && [ -n \"$x\" ] || fail\nazd env set A b\naz acr build --image a; echo -e\n");
        try
        {
            var calls = AzCalls(sample);
            Assert.Equal(["rest", "acr build"], calls.Select(c => c.Command));
            Assert.Equal(["--method", "--subscription", "--query"], calls[0].Flags);
            Assert.Equal(["--image"], calls[1].Flags);
        }
        finally
        {
            File.Delete(sample);
        }
    }

    [Theory]
    [MemberData(nameof(AzHooks))]
    public void PwshVariant_MakesTheSameAzCalls_WithTheSameFlags(string hook)
    {
        static string[] Shape(string path) => AzCalls(path).Select(c => $"az {c.Command} {string.Join(' ', c.Flags.Order(StringComparer.Ordinal))}").ToArray();

        Assert.Equal(Shape(Path.Combine(HooksDir, hook + ".sh")), Shape(Path.Combine(HooksDir, hook + ".ps1")));
    }

    // --- preprovision: the quota check ------------------------------------------------------------

    private const string VmSizes = "Standard_DS3_v2\tstandardDSv2Family\t4\nStandard_NC4as_T4_v3\tstandardNCASv3_T4Family\t4\n";

    private static string Usages(int dsv2Used, int ncLimit) =>
        "Microsoft.MachineLearningServices/totalCores/usages\tClusters\t1\t100\n" +
        "Microsoft.MachineLearningServices/dedicatedCores/usages\tTotal Cluster Dedicated Regional vCPUs\t" + dsv2Used + "\t24\n" +
        "Microsoft.MachineLearningServices/vmFamily/usages\tStandard DSv2 Family Cluster Dedicated vCPUs\t" + dsv2Used + "\t24\n" +
        "Microsoft.MachineLearningServices/vmFamily/usages\tStandard NCASv3_T4 Family Cluster Dedicated vCPUs\t0\t" + ncLimit + "\n" +
        // A workspace's share of the family must not count as the subscription's quota.
        "Microsoft.MachineLearningServices/workspaces/usages\tStandard NCASv3_T4 Family Cluster Dedicated vCPUs\t0\t24\n" +
        "Microsoft.MachineLearningServices/vmFamily/usages\tStandard NCASv3_T4 Family Cluster LowPriority vCPUs\t0\t100\n";

    private static FakeAz QuotaFake(int dsv2Used, int ncLimit) => new FakeAz()
        .On($"az rest --method get --url /subscriptions/{Subscription}/providers/Microsoft.MachineLearningServices/locations/eastus/vmSizes *", VmSizes)
        .On($"az rest --method get --url /subscriptions/{Subscription}/providers/Microsoft.MachineLearningServices/locations/eastus/usages *", Usages(dsv2Used, ncLimit));

    /// <summary>The preprovision hook in eastus with the trainer size <paramref name="size"/> (null: its default).</summary>
    private static Run Preprovision(string shell, string? size, int dsv2Used, int ncLimit)
    {
        using var az = QuotaFake(dsv2Used, ncLimit);
        var env = new Dictionary<string, string> { ["AZURE_LOCATION"] = "eastus" };
        if (size is not null)
        {
            env["LEPTON_TRAINER_VM_SIZE"] = size;
        }

        return az.RunHook(shell, "preprovision", env);
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void Preprovision_GpuSizeWithoutQuota_StopsNamingSizeFamilyQuotaAndTheFix(string shell)
    {
        var run = Preprovision(shell, "Standard_NC4as_T4_v3", dsv2Used: 0, ncLimit: 0);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Standard_NC4as_T4_v3", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("family standardNCASv3_T4Family, 4 vCPUs a node", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("has 0 dedicated vCPUs free (quota 0, in use 0)", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("azd env set LEPTON_TRAINER_VM_SIZE Standard_DS3_v2", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("request more", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, run.Calls.Count);
        Assert.All(run.Calls, c => Assert.Contains($"--subscription {Subscription}", c, StringComparison.Ordinal));
        Assert.All(run.Calls, c => Assert.Contains("--uri-parameters api-version=2024-10-01", c, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void Preprovision_DefaultCpuSizeWithQuota_Passes(string shell)
    {
        var run = Preprovision(shell, size: null, dsv2Used: 4, ncLimit: 0);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("Standard_DS3_v2 (standardDSv2Family, 4 vCPUs a node): the standardDSv2Family family has 20 of 24 dedicated vCPUs free in eastus", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void Preprovision_SizeTheRegionDoesNotOffer_SaysSo(string shell)
    {
        var run = Preprovision(shell, "Standard_Nope_v9", dsv2Used: 0, ncLimit: 24);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Azure ML offers no VM size 'Standard_Nope_v9' in eastus", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void Preprovision_AzFailing_ShowsAzsErrorAndStops(string shell)
    {
        using var az = new FakeAz().On("az rest *", exit: 1, stderr: "ERROR: (AuthorizationFailed) the client has no access\n");

        var run = az.RunHook(shell, "preprovision", new Dictionary<string, string> { ["AZURE_LOCATION"] = "eastus" });

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("AuthorizationFailed", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("could not list the VM sizes Azure ML offers in eastus", run.Stderr, StringComparison.Ordinal);
        Assert.Contains($"az provider register --namespace Microsoft.MachineLearningServices --subscription {Subscription}", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void Hooks_WithoutAzdsSubscription_Refuse(string shell)
    {
        using var az = new FakeAz();

        var run = az.RunHook(shell, "preprovision", new Dictionary<string, string> { ["AZURE_SUBSCRIPTION_ID"] = string.Empty, ["AZURE_LOCATION"] = "eastus" });

        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"preprovision: FAILED: AZURE_SUBSCRIPTION_ID is not set: run the hook through azd (azd up, or azd hooks run preprovision), or azd env set AZURE_SUBSCRIPTION_ID <id>{Environment.NewLine}", run.Stderr);
        Assert.Empty(run.Calls);
    }

    // --- postdeploy: the Event Grid subscription --------------------------------------------------

    private static readonly Dictionary<string, string> DeployEnv = new()
    {
        ["AZURE_FUNCTION_APP_NAME"] = "func-lepton-abc",
        ["AZURE_RESOURCE_GROUP"] = "rg-dev",
        ["AZURE_EVENTGRID_TOPIC"] = "evgt-abc",
        // A unique default host name, as new sites can get: not func-lepton-abc.azurewebsites.net.
        ["AZURE_FUNCTION_APP_URL"] = "https://func-lepton-abc-h3b4c5d6e7f8a9b0.eastus-01.azurewebsites.net",
        ["LEPTON_POSTDEPLOY_ATTEMPTS"] = "5",
        ["LEPTON_EVENTGRID_ATTEMPTS"] = "3",
    };

    [Theory]
    [MemberData(nameof(Shells))]
    public void Postdeploy_EventGridFailingTwice_RetriesAndSucceeds_AtTheDeploymentsHostName(string shell)
    {
        using var az = new FakeAz()
            .On("az functionapp function show *", exit: 3, stderr: "ERROR: (NotFound) Function DatasetUploaded not found\n", times: 1)
            .On("az functionapp function show *")
            .On("az functionapp keys list *", "blobkey-123\n")
            .On("az eventgrid system-topic event-subscription create *", exit: 1, stderr: "ERROR: Webhook validation handshake failed\n", times: 2)
            .On("az eventgrid system-topic event-subscription create *");

        var run = az.RunHook(shell, "postdeploy", DeployEnv);

        Assert.True(run.ExitCode == 0, run.Output);
        var creates = run.CallsOf("az eventgrid").ToList();
        Assert.Equal(4, creates.Count); // datasets: two refusals and the subscription; then batch
        Assert.All(creates.Take(3), c => Assert.Contains(
            "--endpoint https://func-lepton-abc-h3b4c5d6e7f8a9b0.eastus-01.azurewebsites.net/runtime/webhooks/blobs?functionName=Host.Functions.DatasetUploaded&code=blobkey-123 ",
            c, StringComparison.Ordinal));
        Assert.All(creates.Take(3), c => Assert.Contains("--subject-begins-with /blobServices/default/containers/datasets/ ", c, StringComparison.Ordinal));
        Assert.Contains(
            "--endpoint https://func-lepton-abc-h3b4c5d6e7f8a9b0.eastus-01.azurewebsites.net/runtime/webhooks/blobs?functionName=Host.Functions.BatchUploaded&code=blobkey-123 ",
            creates[3], StringComparison.Ordinal);
        Assert.Contains("--subject-begins-with /blobServices/default/containers/batch/ ", creates[3], StringComparison.Ordinal);
        Assert.Contains("--advanced-filter subject StringNotContains /results/ /summary.json --subscription", creates[3], StringComparison.Ordinal); // a job's own files start nothing
        Assert.All(creates.Take(3), c => Assert.DoesNotContain("--advanced-filter", c, StringComparison.Ordinal));
        Assert.DoesNotContain(run.Calls, c => c.Contains("func-lepton-abc.azurewebsites.net", StringComparison.Ordinal));
        Assert.All(run.Calls, c => Assert.Contains($"--subscription {Subscription}", c, StringComparison.Ordinal));
        Assert.Contains("Webhook validation handshake failed", run.Stderr, StringComparison.Ordinal); // az's errors are shown
        Assert.Contains("(NotFound) Function DatasetUploaded not found", run.Stdout, StringComparison.Ordinal); // and so is the wait's reason
        Assert.Contains("attempt 2 of 3", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("Event Grid delivers BlobCreated", run.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void Postdeploy_EventGridAlwaysFailing_StopsAfterItsAttempts(string shell)
    {
        using var az = new FakeAz()
            .On("az functionapp function show *")
            .On("az functionapp keys list *", "blobkey-123\n")
            .On("az eventgrid system-topic event-subscription create *", exit: 1, stderr: "ERROR: Webhook validation handshake failed\n");

        var run = az.RunHook(shell, "postdeploy", DeployEnv);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(3, run.CallsOf("az eventgrid").Count());
        Assert.Contains("Event Grid refused the subscription 3 times", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("attempt 2 of 3", run.Stdout, StringComparison.Ordinal); // what came before the failure is not lost
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void Postdeploy_NoKeyEver_FailsWithAzsLastError(string shell)
    {
        using var az = new FakeAz().On("az functionapp function show *", exit: 1, stderr: "ERROR: (ResourceNotFound) The Resource 'func-lepton-abc' was not found\n");

        var run = az.RunHook(shell, "postdeploy", DeployEnv);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(5, run.CallsOf("az functionapp function show").Count());
        Assert.Empty(run.CallsOf("az eventgrid"));
        Assert.Contains("no blobs_extension system key on func-lepton-abc after 5 attempts (az: ERROR: (ResourceNotFound)", run.Stderr, StringComparison.Ordinal);
    }

    // --- postprovision: the trainer image, tagged by a hash of its inputs -------------------------

    private static readonly string[] TrainerInputs =
        ["nuget.config", "Directory.Build.props", "Directory.Packages.props", "src/Lepton.Core", "src/Lepton.Inference", "src/Lepton.Training", "src/Lepton.Trainer"];

    /// <summary>A copy of the hooks and the trainer's inputs (without bin/ and obj/), plus one file that is not an input.</summary>
    private static string CopyTree()
    {
        string root = Directory.CreateTempSubdirectory("lepton-hook-tree-").FullName;
        foreach (string input in TrainerInputs.Append("infra/hooks"))
        {
            string from = Path.Combine(Root, input);
            if (File.Exists(from))
            {
                File.Copy(from, Path.Combine(root, input));
                continue;
            }

            foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(Root, file);
                if (Regex.IsMatch(relative.Replace('\\', '/'), "/(bin|obj|TestResults)/"))
                {
                    continue;
                }

                string to = Path.Combine(root, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(file, to);
            }
        }

        Directory.CreateDirectory(Path.Combine(root, "docs"));
        File.WriteAllText(Path.Combine(root, "docs", "notes.md"), "not an input\n");
        return root;
    }

    private static readonly Dictionary<string, string> ProvisionEnv = new()
    {
        ["AZURE_CONTAINER_REGISTRY"] = "crabc.azurecr.io",
        ["LEPTON_TRAINER_FLAVOR"] = "cpu",
        ["AZURE_RESOURCE_GROUP"] = "rg-dev",
        ["AZURE_FUNCTION_APP_NAME"] = "func-lepton-abc",
    };

    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static FakeAz RegistryFake(bool hasTag)
    {
        var az = new FakeAz();
        if (!hasTag)
        {
            az.On("az acr repository show *", exit: 1, stderr: "ERROR: manifest unknown\n", times: 1);
        }

        return az.On("az acr repository show *", Digest + "\n")
            .On("az acr build *")
            .On("azd env set *")
            .On("az functionapp config appsettings set *");
    }

    [GeneratedRegex(@"--image lepton-trainer:cpu-([0-9a-f]{16}) ")]
    private static partial Regex HashedTag();

    private static string TagOf(Run run) => HashedTag().Match(run.Calls.First(c => c.StartsWith("az acr repository show", StringComparison.Ordinal))).Groups[1].Value;

    [Fact]
    public void Postprovision_TagsTheImageByItsInputs_TheSameInBothVariants_AndBuildsOnlyWhenTheTagIsMissing()
    {
        string tree = CopyTree();
        try
        {
            using var missing = RegistryFake(hasTag: false);
            var sh = missing.RunHook("sh", "postprovision", ProvisionEnv, tree);
            Assert.True(sh.ExitCode == 0, sh.Output);
            string tag = TagOf(sh);
            Assert.Matches("^[0-9a-f]{16}$", tag);
            string build = Assert.Single(sh.CallsOf("az acr build"));
            Assert.Contains($"--image lepton-trainer:cpu-{tag} --image lepton-trainer:cpu ", build, StringComparison.Ordinal);
            Assert.Contains($"--file {tree}/src/Lepton.Trainer/Dockerfile ", build, StringComparison.Ordinal);
            Assert.Contains($"azd env set LEPTON_TRAINER_IMAGE crabc.azurecr.io/lepton-trainer@{Digest}", sh.Calls);
            Assert.Contains(sh.Calls, c => c.StartsWith("az functionapp config appsettings set", StringComparison.Ordinal)
                && c.Contains($"--settings LEPTON_AZUREML_TRAINER_IMAGE=crabc.azurecr.io/lepton-trainer@{Digest} --subscription {Subscription}", StringComparison.Ordinal));

            var pwsh = missing.RunHook("pwsh", "postprovision", ProvisionEnv, tree);
            Assert.True(pwsh.ExitCode == 0, pwsh.Output);
            Assert.Equal(tag, TagOf(pwsh)); // both variants hash the inputs alike
            Assert.Single(pwsh.CallsOf("az acr build"));

            foreach (string shell in new[] { "sh", "pwsh" })
            {
                using var present = RegistryFake(hasTag: true);
                var unchanged = present.RunHook(shell, "postprovision", ProvisionEnv, tree);
                Assert.True(unchanged.ExitCode == 0, unchanged.Output);
                Assert.Empty(unchanged.CallsOf("az acr build")); // not rebuilt
                Assert.Contains($"azd env set LEPTON_TRAINER_IMAGE crabc.azurecr.io/lepton-trainer@{Digest}", unchanged.Calls);
            }

            // A file that is no input leaves the tag alone; a changed input changes it, in both variants.
            File.AppendAllText(Path.Combine(tree, "docs", "notes.md"), "more\n");
            Assert.Equal(tag, TagOf(missing.RunHook("sh", "postprovision", ProvisionEnv, tree)));
            File.AppendAllText(Path.Combine(tree, "src", "Lepton.Trainer", "Dockerfile"), "# changed\n");
            string changed = TagOf(missing.RunHook("sh", "postprovision", ProvisionEnv, tree));
            Assert.NotEqual(tag, changed);
            Assert.Equal(changed, TagOf(missing.RunHook("pwsh", "postprovision", ProvisionEnv, tree)));
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    [Theory]
    [InlineData("Dockerfile")]
    [InlineData("Dockerfile.gpu")]
    public void Dockerfiles_CopyExactlyTheInputsTheHooksHash_AndPublishWithoutNuGetAudit(string dockerfile)
    {
        string text = File.ReadAllText(Path.Combine(Root, "src", "Lepton.Trainer", dockerfile));
        var copied = Regex.Matches(text, @"(?m)^COPY (?!--from)(.+) \S+$")
            .SelectMany(m => m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(s => s.TrimEnd('/'))
            .Order(StringComparer.Ordinal);

        Assert.Equal(TrainerInputs.Order(StringComparer.Ordinal), copied);
        foreach (string hook in new[] { "postprovision.sh", "postprovision.ps1" })
        {
            string script = File.ReadAllText(Path.Combine(HooksDir, hook));
            Assert.All(TrainerInputs, input => Assert.Contains(input, script, StringComparison.Ordinal));
        }

        Assert.Matches(@"(?m)^RUN dotnet publish src/Lepton.Trainer .*-p:NuGetAudit=false", text);
    }

    // --- postdown: the next generation of soft-deleted names ---------------------------------------

    [Theory]
    [InlineData("sh", null, "g2")]
    [InlineData("sh", "g2", "g3")]
    [InlineData("sh", "g9", "g10")]
    [InlineData("pwsh", null, "g2")]
    [InlineData("pwsh", "g9", "g10")]
    public void Postdown_MovesTheGenerationOn(string shell, string? current, string next)
    {
        using var az = new FakeAz().On("azd env set *");
        var env = new Dictionary<string, string>();
        if (current is not null)
        {
            env["LEPTON_GENERATION"] = current;
        }

        var run = az.RunHook(shell, "postdown", env);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal([$"azd env set LEPTON_GENERATION {next}"], run.Calls);
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void Postdown_RefusesAGenerationItDidNotWrite(string shell)
    {
        using var az = new FakeAz().On("azd env set *");

        var run = az.RunHook(shell, "postdown", new Dictionary<string, string> { ["LEPTON_GENERATION"] = "blue" });

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("LEPTON_GENERATION is 'blue', not g<number>", run.Stderr, StringComparison.Ordinal);
        Assert.Empty(run.Calls);
    }
}
