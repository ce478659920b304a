using Azure.Core;
using Lepton.Core.Contracts;
using Lepton.Core.Storage;
using Lepton.Inference.Http;
using Lepton.Pipeline.Compute;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Lepton.Functions.Tests;

/// <summary>The app's settings are validated when the host starts, and every failure names its setting.</summary>
public sealed class PipelineServicesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lepton-options-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    internal Dictionary<string, string?> Valid() => new()
    {
        [LeptonSettings.Store] = Path.Combine(_folder, "store"),
        [LeptonSettings.GateMinimumAccuracy] = "0.85",
        [LeptonSettings.ComputeTarget] = "process",
        [LeptonSettings.WorkFolder] = Path.Combine(_folder, "work"),
    };

    internal static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLeptonPipeline(builder.Configuration);
        return builder.Build();
    }

    internal static async Task<Exception> StartFailsAsync(Dictionary<string, string?> settings)
    {
        using var host = Build(settings);
        return await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
    }

    [Fact]
    public async Task ValidSettings_Start_AndGiveTheGateAndOneCredential()
    {
        using var host = Build(Valid());
        await host.StartAsync();

        Assert.Equal(0.85, host.Services.GetRequiredService<PipelineDefaults>().MinimumAccuracy);
        Assert.Same(host.Services.GetRequiredService<TokenCredential>(), host.Services.GetRequiredService<TokenCredential>());
        Assert.IsType<FolderArtifactStore>(host.Services.GetRequiredService<IArtifactStore>());
        Assert.IsType<ProcessComputeTarget>(host.Services.GetRequiredService<IComputeTarget>());
        await host.StopAsync();
    }

    [Fact]
    public void AppRegistrations_HaveOneArtifactStore_TheValidatedSettingsOne()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(Valid());
        builder.Services.AddLeptonPipeline(builder.Configuration);
        builder.Services.AddLeptonInference(Path.Combine(_folder, "not-this-one"), builder.Configuration);

        Assert.Single(builder.Services, d => d.ServiceType == typeof(IArtifactStore));
        using var host = builder.Build();
        var store = Assert.IsType<FolderArtifactStore>(host.Services.GetRequiredService<IArtifactStore>());
        Assert.Same(store, host.Services.GetRequiredService<Lepton.Core.Registry.ModelRegistry>().Store);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0,85")]
    [InlineData("")]
    public async Task MalformedGate_FailsStartUp_NamingTheSetting(string gate)
    {
        var settings = Valid();
        settings[LeptonSettings.GateMinimumAccuracy] = gate;

        var ex = await StartFailsAsync(settings);

        Assert.Contains(LeptonSettings.GateMinimumAccuracy, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1.5")]
    [InlineData("-0.1")]
    public async Task GateOutOfRange_FailsStartUp(string gate)
    {
        var settings = Valid();
        settings[LeptonSettings.GateMinimumAccuracy] = gate;

        var ex = await StartFailsAsync(settings);

        Assert.Contains($"{LeptonSettings.GateMinimumAccuracy} must be between 0 and 1", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LeptonSettings.Store)]
    [InlineData(LeptonSettings.GateMinimumAccuracy)]
    public async Task MissingSetting_FailsStartUp_NamingIt(string key)
    {
        var settings = Valid();
        settings.Remove(key);

        var ex = await StartFailsAsync(settings);

        Assert.Contains($"{key} is required", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>The azureml target's settings as the Bicep sets them, the image as given.</summary>
    private Dictionary<string, string?> AzureML(string image)
    {
        var settings = Valid();
        settings[LeptonSettings.ComputeTarget] = "azureml";
        settings[LeptonSettings.Store] = "https://stlepton.blob.core.windows.net/";
        settings[LeptonSettings.AzureMLSubscriptionId] = "sub";
        settings[LeptonSettings.AzureMLResourceGroup] = "rg";
        settings[LeptonSettings.AzureMLWorkspace] = "mlw";
        settings[LeptonSettings.AzureMLCluster] = "gpu-cluster";
        settings[LeptonSettings.AzureMLTrainerImage] = image;
        settings[LeptonSettings.AzureMLPreparedDatastore] = "lepton_prepared";
        settings[LeptonSettings.AzureMLRunsDatastore] = "lepton_runs";
        return settings;
    }

    [Fact]
    public async Task AzureML_WithAnImageByTag_OrMissingDatastores_FailsStartUp()
    {
        var settings = AzureML("cr.azurecr.io/lepton-trainer:gpu");
        settings.Remove(LeptonSettings.AzureMLPreparedDatastore);
        settings.Remove(LeptonSettings.AzureMLRunsDatastore);

        var ex = await StartFailsAsync(settings);

        Assert.Contains($"{LeptonSettings.AzureMLTrainerImage} must be pinned by digest", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"needs the setting {LeptonSettings.AzureMLPreparedDatastore}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"needs the setting {LeptonSettings.AzureMLRunsDatastore}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AzureML_FullyConfigured_BuildsTheTarget()
    {
        using var host = Build(AzureML("cr.azurecr.io/lepton-trainer@sha256:" + new string('a', 64)));

        await host.StartAsync();

        Assert.IsType<AzureMLComputeTarget>(host.Services.GetRequiredService<IComputeTarget>());
        await host.StopAsync();
    }
}

/// <summary>Sets LEPTON_TRAINER for the process, so it runs alone (other tests locate the trainer).</summary>
[CollectionDefinition(nameof(TrainerSettingTests), DisableParallelization = true)]
public sealed class TrainerSettingCollection;

[Collection(nameof(TrainerSettingTests))]
public sealed class TrainerSettingTests : IDisposable
{
    private readonly PipelineServicesTests _settings = new();

    public void Dispose() => _settings.Dispose();

    [Fact]
    public async Task ProcessTarget_WithATrainerSettingThatDoesNotExist_FailsStartUp_SayingSo()
    {
        string? before = Environment.GetEnvironmentVariable(LeptonSettings.TrainerPath);
        Environment.SetEnvironmentVariable(LeptonSettings.TrainerPath, Path.Combine(Path.GetTempPath(), "lepton-no-trainer", "lepton-trainer.dll"));
        try
        {
            var failure = await PipelineServicesTests.StartFailsAsync(_settings.Valid());

            Assert.Contains(LeptonSettings.TrainerPath, failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(LeptonSettings.TrainerPath, before);
        }
    }
}
