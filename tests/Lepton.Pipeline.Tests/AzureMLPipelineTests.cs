using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Pipeline.Orchestration;
using Lepton.Tests;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;

namespace Lepton.Pipeline.Tests;

/// <summary>
/// The real orchestration on the in-process Durable Task engine with the Azure ML compute target,
/// against the fake ARM (Azure ML cannot run here): what the pipeline sends to Azure ML across attempts
/// and across a re-run of a failed pipeline.
/// </summary>
public sealed class AzureMLPipelineTests : IAsyncLifetime
{
    private FakeArmPipeline _aml = null!;

    private FakeArm _arm => _aml.Arm;

    private DurableTaskTestHost _host => _aml.Host;

    private PipelineWorkspace _workspace => _aml.Workspace;

    private string _dataset => _aml.Dataset;

    public async Task InitializeAsync() => _aml = await FakeArmPipeline.StartAsync("lepton-aml-pipeline-", train: 300, test: 100);

    public async Task DisposeAsync() => await _aml.DisposeAsync();

    private PipelineRequest Request() => new()
    {
        ModelName = "cloudy",
        Dataset = _dataset,
        Training = new TrainingJobSpec { Architecture = "cnn", Epochs = 1 },
        PollInterval = TimeSpan.FromMilliseconds(100),
        MaxTrainingAttempts = 2,
    };

    private async Task<OrchestrationMetadata> RunAsync(PipelineRequest request)
    {
        var (id, started) = await PipelineEngine.StartAsync(_host.Client, request, _workspace);
        Assert.True(started, "the run was not started (a failed run must be restartable)");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return await _host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
    }

    private string[] JobPuts() => _arm.Requests
        .Where(r => r.Method == "PUT" && r.Path.Contains("/jobs/", StringComparison.Ordinal))
        .Select(r => r.Path.Split('/')[^1])
        .ToArray();

    [Fact]
    public async Task ReRun_AfterFailure_SubmitsNewJobs_NeverAPutToAnExistingJobName()
    {
        _arm.NewJobStates = ["Queued", "Running", "Failed"];

        var first = await RunAsync(Request());

        Assert.Equal(OrchestrationRuntimeStatus.Failed, first.RuntimeStatus);
        Assert.Contains("training failed 2 time(s)", first.FailureDetails!.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("the node ran out of memory", first.FailureDetails.ErrorMessage, StringComparison.Ordinal);
        var firstPuts = JobPuts();
        Assert.Equal(2, firstPuts.Length);

        // The same request again: the engine purges the failed instance and starts it anew (same instance id).
        var second = await RunAsync(Request());

        Assert.Equal(first.InstanceId, second.InstanceId);
        Assert.Equal(OrchestrationRuntimeStatus.Failed, second.RuntimeStatus);
        var puts = JobPuts();
        Assert.Equal(4, puts.Length);
        Assert.Equal(4, puts.Distinct().Count());
        Assert.Empty(puts.Skip(2).Intersect(firstPuts));
        Assert.Empty(_arm.RePuts);
        Assert.Empty(_arm.Refusals);
        // Each job is named after its run and attempt, with a suffix of its own.
        string runId = puts[0][..puts[0].IndexOf("-a1-", StringComparison.Ordinal)];
        Assert.Equal(["a1", "a2", "a1", "a2"], puts.Select(p => p[(runId.Length + 1)..].Split('-')[0]));
        // Every job read its own spec, written where its datastore URI points.
        foreach (string job in puts)
        {
            string uri = (string)_arm.Jobs[job]["properties"]!["inputs"]!["spec"]!["uri"]!;
            Assert.Equal($"azureml://datastores/lepton_runs/paths/{runId}/jobs/{job}.json", uri);
            Assert.NotNull(await _workspace.Store.GetInfoAsync($"runs/{runId}/jobs/{job}.json"));
        }
    }
}
