using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Lepton.Functions.Tests;

/// <summary>
/// The ARM template <c>azd provision</c> deploys, compiled from infra/main.bicep with the Bicep CLI the
/// test command restores (NuGet Azure.Bicep.CommandLine): what training jobs need to reach their data.
/// </summary>
public sealed class InfrastructureTemplateTests
{
    private const string StorageBlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";
    private const string AcrPull = "7f951dda-4ed3-4680-a7ca-43fe172d538d";

    private static readonly Lazy<JsonObject> Compiled = new(Compile);

    private static JsonObject Compile()
    {
        string root = RepositoryRoot();
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
            ? p
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string folder = Path.Combine(packages, "azure.bicep.commandline.linux-x64");
        string? bicep = Directory.Exists(folder)
            ? Directory.GetDirectories(folder).OrderByDescending(d => d, StringComparer.Ordinal).Select(d => Path.Combine(d, "tools", "bicep")).FirstOrDefault(File.Exists)
            : null;
        Assert.True(bicep is not null, $"the Bicep CLI is not under {folder}: scripts/test.sh restores it");

        var start = new ProcessStartInfo(bicep, ["build", Path.Combine(root, "infra", "main.bicep"), "--stdout"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string json = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"bicep build failed: {stderr.Result}");
        return JsonNode.Parse(json)!.AsObject();
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Lepton.Functions.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    /// <summary>The nested deployment of a module, by its symbolic name in main.bicep (the template is language version 2.0).</summary>
    private static JsonObject Module(string module)
    {
        var resource = Compiled.Value["resources"]![module]!.AsObject();
        Assert.Equal("Microsoft.Resources/deployments", (string?)resource["type"]);
        return resource;
    }

    private static IEnumerable<JsonObject> Resources(JsonObject module, string type) =>
        module["properties"]!["template"]!["resources"]!.AsArray().Select(r => r!.AsObject()).Where(r => (string?)r["type"] == type);

    private static string Parameter(JsonObject module, string name) => module["properties"]!["parameters"]![name]!["value"]!.ToString();

    [Fact]
    public void Storage_HasTheUploadContainersTheEventGridSubscriptionsWatch()
    {
        var storage = Module("storage");
        var containers = storage["properties"]!["template"]!["variables"]!["containers"]!.AsArray().Select(c => (string?)c).ToArray();
        string postdeploy = File.ReadAllText(Path.Combine(RepositoryRoot(), "infra", "hooks", "postdeploy.sh"));

        // datasets/ starts training runs (DatasetUploaded), batch/ starts batch jobs (BatchUploaded).
        Assert.Contains("datasets", containers);
        Assert.Contains("batch", containers);
        Assert.Contains("subscribe datasets-blob-created \"$function\" datasets", postdeploy, StringComparison.Ordinal);
        Assert.Contains("subscribe batch-blob-created BatchUploaded batch", postdeploy, StringComparison.Ordinal);
    }

    [Fact]
    public void Workspace_HasIdentityBasedDatastoresForPreparedAndRuns()
    {
        var ml = Module("ml");
        var datastores = Resources(ml, "Microsoft.MachineLearningServices/workspaces/datastores").Select(r => r["properties"]!.AsObject()).ToArray();

        Assert.Equal(["prepared", "runs"], datastores.Select(d => (string?)d["containerName"]).Order());
        Assert.All(datastores, d =>
        {
            Assert.Equal("AzureBlob", (string?)d["datastoreType"]);
            Assert.Equal("None", (string?)d["credentials"]!["credentialsType"]); // no key, no SAS: the reader's identity
            Assert.Equal("[parameters('dataStorageName')]", (string?)d["accountName"]);
        });
        Assert.Equal("[reference('storage').outputs.name.value]", Parameter(ml, "dataStorageName"));
        // The app is told the same names the workspace has.
        var settings = Module("functionApp")["properties"]!["parameters"]!["appSettings"]!["value"]!;
        Assert.Equal("[reference('ml').outputs.preparedDatastoreName.value]", (string?)settings["LEPTON_AZUREML_PREPARED_DATASTORE"]);
        Assert.Equal("[reference('ml').outputs.runsDatastoreName.value]", (string?)settings["LEPTON_AZUREML_RUNS_DATASTORE"]);
    }

    [Fact]
    public void Cluster_RunsAsItsOwnUserAssignedIdentity()
    {
        var ml = Module("ml");
        var cluster = Assert.Single(Resources(ml, "Microsoft.MachineLearningServices/workspaces/computes"));
        var identity = cluster["identity"]!;

        Assert.Equal("UserAssigned", (string?)identity["type"]);
        string key = Assert.Single(identity["userAssignedIdentities"]!.AsObject()).Key;
        Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities', parameters('clusterIdentityName')", key, StringComparison.Ordinal);
        Assert.Single(Resources(ml, "Microsoft.ManagedIdentity/userAssignedIdentities"));
        Assert.Equal("[reference('ml').outputs.clusterIdentityPrincipalId.value]", Parameter(Module("roles"), "clusterPrincipalId"));
    }

    [Theory]
    [InlineData(StorageBlobDataContributor, "Microsoft.Storage/storageAccounts', parameters('storageName')")]
    [InlineData(AcrPull, "Microsoft.ContainerRegistry/registries', parameters('registryName')")]
    public void ClusterIdentity_HoldsItsRole_AsAnExplicitAssignment(string role, string scope)
    {
        var roles = Module("roles");
        var template = roles["properties"]!["template"]!;
        string variable = template["variables"]!.AsObject().Single(v => v.Value is JsonValue value && value.ToString() == role).Key;

        var assignment = Assert.Single(Resources(roles, "Microsoft.Authorization/roleAssignments"),
            r => (string?)r["properties"]!["principalId"] == "[parameters('clusterPrincipalId')]"
                && ((string?)r["properties"]!["roleDefinitionId"])!.Contains($"variables('{variable}')", StringComparison.Ordinal));
        Assert.Contains(scope, (string?)assignment["scope"], StringComparison.Ordinal);
        Assert.Equal("ServicePrincipal", (string?)assignment["properties"]!["principalType"]);
    }

    [Fact]
    public void TrainerImage_FollowsTheClustersGpu()
    {
        var parameters = Compiled.Value["parameters"]!;
        string isGpu = (string?)parameters["trainerIsGpu"]!["defaultValue"] ?? string.Empty;
        var settings = Module("functionApp")["properties"]!["parameters"]!["appSettings"]!["value"]!;

        Assert.Contains("parameters('trainerVmSize')", isGpu, StringComparison.Ordinal);
        Assert.Contains("lepton-trainer:{1}", (string?)settings["LEPTON_AZUREML_TRAINER_IMAGE"], StringComparison.Ordinal);
        Assert.Equal("[if(parameters('trainerIsGpu'), 'gpu', 'cpu')]", (string?)Compiled.Value["variables"]!["trainerFlavor"]);
        Assert.Equal("[variables('trainerFlavor')]", (string?)Compiled.Value["outputs"]!["LEPTON_TRAINER_FLAVOR"]!["value"]);
    }

    [Fact]
    public void KeyVault_HasNoPurgeProtection_SoAzdDownPurgeFreesItsName()
    {
        var vault = Assert.Single(Resources(Module("ml"), "Microsoft.KeyVault/vaults"));
        var properties = vault["properties"]!.AsObject();

        // Absent, not false: Key Vault accepts only true, and once true a deleted vault's name stays taken
        // for the whole retention; `azd down --purge` cannot purge it.
        Assert.False(properties.ContainsKey("enablePurgeProtection"));
        Assert.Equal(7, (int?)properties["softDeleteRetentionInDays"]); // the shortest Key Vault allows
    }

    [Fact]
    public void UserRoleAssignments_TakeThePrincipalTypeParameter()
    {
        var parameter = Compiled.Value["parameters"]!["principalType"]!;
        Assert.Equal("User", (string?)parameter["defaultValue"]);
        Assert.Equal(["User", "ServicePrincipal", "Group"], parameter["allowedValues"]!.AsArray().Select(v => (string?)v));
        var roles = Module("roles");
        Assert.Equal("[parameters('principalType')]", Parameter(roles, "userPrincipalType"));

        var userAssignments = Resources(roles, "Microsoft.Authorization/roleAssignments")
            .Where(r => (string?)r["properties"]!["principalId"] == "[parameters('userPrincipalId')]").ToList();
        Assert.Equal(2, userAssignments.Count); // the storage roles (a copy loop) and AzureML Data Scientist
        Assert.All(userAssignments, r => Assert.Equal("[parameters('userPrincipalType')]", (string?)r["properties"]!["principalType"]));
        Assert.DoesNotContain(Resources(roles, "Microsoft.Authorization/roleAssignments"),
            r => (string?)r["properties"]!["principalType"] == "User");

        string parameters = File.ReadAllText(Path.Combine(RepositoryRoot(), "infra", "main.parameters.json"));
        Assert.Contains("\"value\": \"${AZURE_PRINCIPAL_TYPE=User}\"", parameters, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainerSize_DefaultsToTheSameCpuSize_InTheTemplateTheParametersAndTheQuotaCheck()
    {
        const string Default = "Standard_DS3_v2";
        Assert.Equal(Default, (string?)Compiled.Value["parameters"]!["trainerVmSize"]!["defaultValue"]);
        // trainerIsGpu's default: true only for the N-series, so the default cluster is the CPU one.
        Assert.Equal("[startsWith(toLower(parameters('trainerVmSize')), 'standard_n')]", (string?)Compiled.Value["parameters"]!["trainerIsGpu"]!["defaultValue"]);

        string root = RepositoryRoot();
        Assert.Contains($"\"${{LEPTON_TRAINER_VM_SIZE={Default}}}\"", File.ReadAllText(Path.Combine(root, "infra", "main.parameters.json")), StringComparison.Ordinal);
        Assert.Contains($"size=${{LEPTON_TRAINER_VM_SIZE:-{Default}}}", File.ReadAllText(Path.Combine(root, "infra", "hooks", "preprovision.sh")), StringComparison.Ordinal);
        Assert.Contains($"else {{ '{Default}' }}", File.ReadAllText(Path.Combine(root, "infra", "hooks", "preprovision.ps1")), StringComparison.Ordinal);
    }

    [Fact]
    public void WorkspaceAndVaultNames_CarryTheGeneration_ThePostdownHookMovesOn()
    {
        var ml = Module("ml");
        Assert.Equal("[format('mlw-{0}{1}', variables('resourceToken'), parameters('generation'))]", Parameter(ml, "workspaceName"));
        Assert.Equal("[format('kv-{0}{1}', variables('resourceToken'), parameters('generation'))]", Parameter(ml, "keyVaultName"));
        var generation = Compiled.Value["parameters"]!["generation"]!;
        Assert.Equal(string.Empty, (string?)generation["defaultValue"]); // a first deployment keeps its names
        Assert.Equal(4, (int?)generation["maxLength"]); // kv-<13>g999 stays within Key Vault's 24 characters
        Assert.Contains("\"value\": \"${LEPTON_GENERATION}\"", File.ReadAllText(Path.Combine(RepositoryRoot(), "infra", "main.parameters.json")), StringComparison.Ordinal);
    }
}
