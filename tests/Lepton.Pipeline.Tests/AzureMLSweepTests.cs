using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lepton.Core.Contracts;
using Lepton.Core.Registry;
using Lepton.Core.Storage;
using Lepton.Pipeline.Orchestration;
using Lepton.Tests;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;

namespace Lepton.Pipeline.Tests;

/// <summary>
/// A sweep on the real orchestration with the Azure ML compute target against the fake ARM: one job per
/// trial, never more at once than the cluster's nodes, and median stopping canceling the trial whose
/// scripted status.json makes it the worst.
/// </summary>
public sealed class AzureMLSweepTests : IAsyncLifetime
{
    private FakeArmPipeline _aml = null!;

    private FakeArm _arm => _aml.Arm;

    private DurableTaskTestHost _host => _aml.Host;

    private PipelineWorkspace _workspace => _aml.Workspace;

    private string _dataset => _aml.Dataset;

    public async Task InitializeAsync() => _aml = await FakeArmPipeline.StartAsync("lepton-aml-sweep-", train: 200, test: 50);

    public async Task DisposeAsync() => await _aml.DisposeAsync();

    private PipelineRequest Request(int epochs, int? maxConcurrent, bool earlyTermination) => new()
    {
        ModelName = "cloud-sweep",
        Dataset = _dataset,
        Training = new TrainingJobSpec
        {
            Architecture = "cnn",
            Epochs = epochs,
            Sweep = new SweepSpec
            {
                Parameters = new Dictionary<string, IReadOnlyList<JsonElement>>
                {
                    ["learningRate"] = [JsonSerializer.SerializeToElement(0.001), JsonSerializer.SerializeToElement(0.01)],
                    ["hiddenSize"] = [JsonSerializer.SerializeToElement(64), JsonSerializer.SerializeToElement(128)],
                },
                MaxConcurrent = maxConcurrent,
                EarlyTermination = earlyTermination,
            },
        },
        PollInterval = TimeSpan.FromMilliseconds(100),
        MaxTrainingAttempts = 1,
    };

    private static string RunOf(JsonNode job) => (string)job["properties"]!["tags"]!["lepton-run"]!;

    [Fact]
    public async Task Sweep_SubmitsOneJobPerTrial_WithDistinctNames_NeverMoreAtOnceThanTheClusterHasNodes()
    {
        _arm.MaxNodes = 2;
        _arm.NewJobStates = ["Queued", "Running", "Running", "Failed"];
        var (id, _) = await PipelineEngine.StartAsync(_host.Client, Request(epochs: 1, maxConcurrent: null, earlyTermination: false), _workspace);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var run = await _host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        // Every trial's job failed (Azure ML cannot train here): the sweep fails naming them.
        Assert.Equal(OrchestrationRuntimeStatus.Failed, run.RuntimeStatus);
        Assert.Contains("no trial of the sweep succeeded", run.FailureDetails!.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains(_arm.Requests, r => r.Method == "GET" && r.Path.EndsWith($"/computes/{FakeArm.Cluster}", StringComparison.Ordinal));
        var puts = _arm.Requests.Where(r => r.Method == "PUT" && r.Path.Contains("/jobs/", StringComparison.Ordinal) && r.Status == 201).ToArray();
        Assert.Equal(4, puts.Length);
        Assert.Equal(4, puts.Select(p => p.Path).Distinct().Count());
        Assert.Empty(_arm.RePuts);
        Assert.Empty(_arm.Refusals);
        // One run (and folder) per trial, named after the sweep's.
        var runs = _arm.Jobs.Values.Select(RunOf).Order().ToArray();
        string sweepRun = runs[0][..^4];
        Assert.Equal(Enumerable.Range(1, 4).Select(t => SweepPlan.TrialRunId(sweepRun, t)), runs);
        // At most two jobs between their submission and the poll that saw them end.
        foreach (var put in puts)
        {
            int active = _arm.Jobs.Keys.Count(job =>
                _arm.Requests.First(r => r.Method == "PUT" && r.Path.EndsWith("/jobs/" + job, StringComparison.Ordinal)).At <= put.At
                && (!_arm.Ended.TryGetValue(job, out var ended) || ended > put.At));
            Assert.InRange(active, 1, 2);
        }
    }

    [Fact]
    public async Task EarlyTermination_CancelsTheTrialItsStatusMakesTheWorst_AndACancelStopsTheRest()
    {
        // Each job "trains" its first epoch at once: status.json in its run folder, as the trainer writes it.
        // Trial 3 is the worst; the others tie, so none of them is below the median of the rest.
        _arm.NewJobStates = ["Running"];
        _arm.OnJobCreated = (_, body) =>
        {
            string run = RunOf(body);
            double accuracy = run.EndsWith("-t03", StringComparison.Ordinal) ? 0.40 : 0.80;
            var epoch = new EpochRecord(1, 0.5, 0.8, 0.6, accuracy, 1, 1000, 0.001);
            string json = LeptonJson.Serialize(new TrainingStatus(JobState.Running, "training", 1, 3, epoch, null, DateTimeOffset.UtcNow));
            _workspace.Store.WriteAsync($"runs/{run}/status.json", new MemoryStream(Encoding.UTF8.GetBytes(json))).GetAwaiter().GetResult();
        };
        var (id, _) = await PipelineEngine.StartAsync(_host.Client, Request(epochs: 3, maxConcurrent: 4, earlyTermination: true), _workspace);

        string worst = await WaitForAsync(() => _arm.Jobs.FirstOrDefault(j => RunOf(j.Value).EndsWith("-t03", StringComparison.Ordinal)).Key);
        await WaitForAsync(() => _arm.Requests.Any(r => r.Method == "POST" && r.Path.EndsWith($"/jobs/{worst}/cancel", StringComparison.Ordinal)) ? "canceled" : null);
        var stopped = await WaitForAsync(async () =>
        {
            var state = await _host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
            return state?.ReadCustomStatusAs<PipelineProgress>()?.Trials?.FirstOrDefault(t => t.Trial == 3 && t.State == TrialState.Stopped);
        });
        Assert.StartsWith("stopped early: validation accuracy 0.4000 after epoch 1 is below the median 0.8000 of ", stopped.Message, StringComparison.Ordinal);
        // Only the worst was stopped; the others still run.
        Assert.Single(_arm.Requests, r => r.Method == "POST" && r.Path.EndsWith("/cancel", StringComparison.Ordinal));

        await _host.Client.RaiseEventAsync(id, TrainingPipeline.CancelEvent, "enough");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var run = await _host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);
        Assert.Equal(PipelineOutcome.Canceled, run.ReadOutputAs<PipelineResult>()!.Outcome);
        Assert.Equal(4, _arm.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith("/cancel", StringComparison.Ordinal)));
        var trials = run.ReadCustomStatusAs<PipelineProgress>()!.Trials!;
        Assert.All(trials, t => Assert.Equal(TrialState.Stopped, t.State));
        Assert.Equal(["enough", "enough", "enough"], trials.Where(t => t.Trial != 3).Select(t => t.Message));
    }

    private static Task<T> WaitForAsync<T>(Func<T?> probe) => WaitForAsync(() => Task.FromResult(probe()));

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("not seen within a minute");
    }
}
