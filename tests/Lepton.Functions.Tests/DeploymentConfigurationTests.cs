using System.Text.Json;
using System.Text.RegularExpressions;
using Lepton.Core.Contracts;

namespace Lepton.Functions.Tests;

/// <summary>What a deployment needs, checked against the source: settings, azure.yaml and the Bicep.</summary>
public sealed partial class DeploymentConfigurationTests
{
    private static readonly string Root = FindRoot();

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Lepton.Functions.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }

    private static string BicepText() => string.Join('\n',
        Directory.GetFiles(Path.Combine(Root, "infra"), "*.bicep", SearchOption.AllDirectories).Select(File.ReadAllText));

    [GeneratedRegex("""(?:Configuration|configuration|config)\[\s*"([^"]+)"\s*\]|GetEnvironmentVariable\(\s*"([^"]+)"\s*\)|GetSection\(\s*"([^"]+)"\s*\)""")]
    private static partial Regex LiteralSettingRead();

    [Fact]
    public void EveryAppSetting_IsInTheLocalSampleAndTheBicep()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "local.settings.sample.json")));
        var values = sample.RootElement.GetProperty("Values").EnumerateObject().Select(p => p.Name).ToHashSet();
        string bicep = BicepText();

        Assert.All(LeptonSettings.AppSettings, key =>
        {
            Assert.Contains(key, values);
            Assert.Matches(new Regex($@"(?m)^\s*{Regex.Escape(key)}\s*:"), bicep);
        });
    }

    [Fact]
    public void NoCode_ReadsASettingThatIsNotListed()
    {
        Assert.Matches(LiteralSettingRead(), "builder.Configuration[\"SOME_KEY\"]"); // the scanner sees a literal read
        Assert.Contains("LeptonSettings.Store", File.ReadAllText(Path.Combine(Root, "src", "Lepton.Functions", "Program.cs")), StringComparison.Ordinal);
        var listed = LeptonSettings.AppSettings.Concat(LeptonSettings.LocalOnly).ToHashSet();
        var reads = Directory.GetFiles(Path.Combine(Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => LiteralSettingRead().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Key: m.Groups.Values.Skip(1).First(g => g.Success).Value)))
            .ToList();

        Assert.All(reads, read => Assert.True(listed.Contains(read.Key), $"{read.File} reads '{read.Key}', which LeptonSettings does not list"));
    }

    [Fact]
    public void LocalSettingsSample_UsesAzuriteAndTheIsolatedWorker()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "local.settings.sample.json")));
        var values = sample.RootElement.GetProperty("Values");

        Assert.Equal("UseDevelopmentStorage=true", values.GetProperty("AzureWebJobsStorage").GetString());
        Assert.Equal("dotnet-isolated", values.GetProperty("FUNCTIONS_WORKER_RUNTIME").GetString());
        Assert.Contains("local.settings.json", File.ReadAllText(Path.Combine(Root, ".gitignore")), StringComparison.Ordinal);
    }

    [Fact]
    public void AzureYaml_NamesAnExistingFunctionProject_TaggedInTheBicep()
    {
        string yaml = File.ReadAllText(Path.Combine(Root, "azure.yaml"));
        var service = Regex.Match(yaml, @"(?ms)^services:\s*\n\s+([a-z0-9-]+):\s*\n(.*?)(?=^\S|\z)");
        Assert.True(service.Success, "azure.yaml has no service");
        string name = service.Groups[1].Value;
        string body = service.Groups[2].Value;
        string project = Regex.Match(body, @"project:\s*(\S+)").Groups[1].Value;

        Assert.True(File.Exists(Path.Combine(Root, project, "Lepton.Functions.csproj")), $"azure.yaml project '{project}' has no Lepton.Functions.csproj");
        Assert.Matches(@"host:\s*function", body);
        Assert.Matches(@"language:\s*dotnet", body);
        Assert.Contains($"'azd-service-name': '{name}'", BicepText(), StringComparison.Ordinal);
    }

    [Fact]
    public void AzureYaml_HooksPointAtScriptsThatExist()
    {
        string yaml = File.ReadAllText(Path.Combine(Root, "azure.yaml"));

        foreach (Match run in Regex.Matches(yaml, @"run:\s*(\S+\.sh)"))
        {
            Assert.True(File.Exists(Path.Combine(Root, run.Groups[1].Value)), $"hook script {run.Groups[1].Value} missing");
        }
    }

    [Fact]
    public void Storage_DisablesSharedKeysAndPublicBlobs()
    {
        string storage = File.ReadAllText(Path.Combine(Root, "infra", "modules", "storage.bicep"));

        Assert.Contains("allowSharedKeyAccess: false", storage, StringComparison.Ordinal);
        Assert.Contains("allowBlobPublicAccess: false", storage, StringComparison.Ordinal);
        Assert.Contains("minimumTlsVersion: 'TLS1_2'", storage, StringComparison.Ordinal);
        foreach (string container in new[] { "datasets", "prepared", "runs", "models" })
        {
            Assert.Contains($"'{container}'", storage, StringComparison.Ordinal);
        }
    }
}
