using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Pipeline.Orchestration;
using Microsoft.DurableTask.Client;

namespace Lepton.Pipeline.Tests;

/// <summary>A sweep on the real orchestrator, trial child orchestrations and trainer processes (in-process Durable Task engine).</summary>
public sealed class SweepPipelineTests(PipelineHost host) : IClassFixture<PipelineHost>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);

    private static JsonElement[] Values(params double[] values) => values.Select(v => JsonSerializer.SerializeToElement(v)).ToArray();

    private PipelineRequest Sweep(string model, int maxConcurrent) => new()
    {
        ModelName = model,
        Dataset = host.Dataset,
        Training = new TrainingJobSpec
        {
            Architecture = "mlp",
            Epochs = 1,
            TrainLimit = 400,
            TestLimit = 100,
            Sweep = new SweepSpec
            {
                Parameters = new Dictionary<string, IReadOnlyList<JsonElement>> { ["learningRate"] = Values(0.0003, 0.003), ["batchSize"] = Values(32, 128) },
                MaxConcurrent = maxConcurrent,
            },
        },
        PollInterval = TimeSpan.FromMilliseconds(200),
    };

    private async Task<OrchestrationMetadata> RunAsync(PipelineRequest request)
    {
        var (id, started) = await PipelineEngine.StartAsync(host.Host.Client, request, host.Workspace);
        Assert.True(started);
        using var timeout = new CancellationTokenSource(Patience);
        return await host.Host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);
    }

    [Fact]
    public async Task FourTrials_PublishOneVersion_FromTheBestTrial_AndTheSameSweepAgainPublishesNothing()
    {
        var run = await RunAsync(Sweep("swept", maxConcurrent: 2));

        Assert.True(run.RuntimeStatus == OrchestrationRuntimeStatus.Completed, run.FailureDetails?.ErrorMessage);
        var result = run.ReadOutputAs<PipelineResult>()!;
        Assert.Equal(PipelineOutcome.Published, result.Outcome);
        var sweep = result.Sweep!;
        Assert.Equal(4, sweep.Trials.Count);
        Assert.All(sweep.Trials, t => Assert.Equal(TrialState.Succeeded, t.State));
        Assert.Equal(4, sweep.Trials.Select(t => t.RunId).Distinct().Count());
        // The best by validation accuracy (the first on a tie), and its model is the one published.
        double best = sweep.Trials.Max(t => t.ValidationAccuracy!.Value);
        Assert.Equal(sweep.Trials.First(t => t.ValidationAccuracy == best).Trial, sweep.BestTrial);
        Assert.Equal([1], await host.Registry.ListVersionsAsync("swept"));
        // No threads in the spec: two trials at once share the cores, max(1, cores / 2) threads each (the trainer's job.json).
        Assert.All(sweep.Trials, t => Assert.Equal(Math.Max(1, Environment.ProcessorCount / 2),
            JsonDocument.Parse(File.ReadAllText(Path.Combine(RunFolder.Under(host.Workspace.WorkFolder, t.RunId).Path, "job.json"))).RootElement.GetProperty("threads").GetInt32()));
        var manifest = await host.Registry.GetManifestAsync("swept", 1);
        Assert.Equal(result.RunId, manifest.RunId);
        Assert.Equal(new Core.Registry.SweepOrigin(result.RunId, sweep.BestTrial, sweep.Best.Settings, sweep.Best.RunId, 4), manifest.Sweep);
        string bestModel = RunFolder.Under(host.Workspace.WorkFolder, sweep.Best.RunId).ModelPath;
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(bestModel))), manifest.Sha256);
        var metrics = RunMetrics.Parse(File.ReadAllText(RunFolder.Under(host.Workspace.WorkFolder, sweep.Best.RunId).MetricsPath), "metrics.json");
        Assert.Equal(metrics.Accuracy, result.Accuracy);
        // The card shows the trials table and their validation accuracy.
        var card = (await host.Registry.GetCardAsync("swept", 1))!;
        Assert.Contains(Core.Cards.CardFiles.Sweep, card.Images);
        Assert.Equal(sweep.BestTrial, card.Sweep!.BestTrial);
        Assert.Equal(sweep.Trials.Select(t => (t.Trial, t.Settings, t.ValidationAccuracy)), card.Sweep.Trials.Select(t => (t.Trial, t.Settings, t.ValidationAccuracies[^1])));
        // Every trial's run stays in its folder; the sweep's record is in the store.
        Assert.All(sweep.Trials, t => Assert.True(File.Exists(RunFolder.Under(host.Workspace.WorkFolder, t.RunId).ModelPath), t.RunId));
        Assert.NotNull(await host.Workspace.Store.GetInfoAsync($"runs/{result.RunId}/{SweepOutcome.FileName}"));
        // Each trial trained with its own settings.
        foreach (var trial in sweep.Trials)
        {
            var spec = LeptonJson.ReadFile<TrainingJobSpec>(RunFolder.Under(host.Workspace.WorkFolder, trial.RunId).SpecPath);
            Assert.Equal(trial.Settings, $"learningRate={spec.LearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture)} batchSize={spec.BatchSize}");
            Assert.Null(spec.Sweep);
        }

        // The same sweep (run one at a time now: not part of the run id) publishes nothing new.
        var again = await RunAsync(Sweep("swept", maxConcurrent: 1));

        Assert.Equal(OrchestrationRuntimeStatus.Completed, again.RuntimeStatus);
        var second = again.ReadOutputAs<PipelineResult>()!;
        Assert.Equal(PipelineOutcome.AlreadyPublished, second.Outcome);
        Assert.Equal(result.RunId, second.RunId);
        Assert.Equal(1, second.Version);
        Assert.Equal([1], await host.Registry.ListVersionsAsync("swept"));
    }

    [Fact]
    public async Task AnInvalidTrial_FailsTheRunBeforeAnythingTrains_NamingIt()
    {
        var request = Sweep("bad-sweep", 2) with
        {
            Training = Sweep("bad-sweep", 2).Training with
            {
                Sweep = new SweepSpec { Parameters = new Dictionary<string, IReadOnlyList<JsonElement>> { ["batchSize"] = Values(64, 0) } },
            },
        };

        var error = Assert.Throws<InvalidPipelineRequestException>(request.EnsureValid);

        Assert.Contains("sweep trial batchSize=0: batch size must be between 1 and 65536, not 0", error.Message, StringComparison.Ordinal);
    }
}
