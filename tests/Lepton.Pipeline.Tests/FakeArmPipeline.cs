using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Pipeline.Orchestration;
using Lepton.Tests;
using Microsoft.DurableTask.Testing;

namespace Lepton.Pipeline.Tests;

/// <summary>
/// The real orchestration on the in-process Durable Task engine with the Azure ML compute target against a
/// <see cref="FakeArm"/>, in a work folder of its own with a folder registry and a small Fashion-MNIST slice.
/// </summary>
internal sealed class FakeArmPipeline : IAsyncDisposable
{
    private FakeArmPipeline(string work, FakeArm arm, DurableTaskTestHost host, PipelineWorkspace workspace, string dataset) =>
        (Work, Arm, Host, Workspace, Dataset) = (work, arm, host, workspace, dataset);

    public string Work { get; }

    public FakeArm Arm { get; }

    public DurableTaskTestHost Host { get; }

    public PipelineWorkspace Workspace { get; }

    /// <summary>The IDX slice to train on.</summary>
    public string Dataset { get; }

    public static async Task<FakeArmPipeline> StartAsync(string prefix, int train, int test)
    {
        string work = Directory.CreateTempSubdirectory(prefix).FullName;
        var arm = await FakeArm.StartAsync();
        var registry = new ModelRegistry(new FolderArtifactStore(Path.Combine(work, "store")));
        var workspace = new PipelineWorkspace(registry.Store, Path.Combine(work, "work"));
        string dataset = TestDatasets.WriteSlice(Path.Combine(work, "upload"), train, test);
        var compute = FakeArmTarget.Create(arm, registry.Store, new AzureMLComputeTargetTests.RecordingCredential());
        var host = await Lepton.Cli.InProcessEngine.StartAsync(tasks => tasks.AddTrainingPipeline(registry, compute, workspace));
        return new FakeArmPipeline(work, arm, host, workspace, dataset);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Arm.DisposeAsync();
        Directory.Delete(Work, recursive: true);
    }
}
