using System.Text.Json;
using Microsoft.DurableTask.Client;

namespace Lepton.Pipeline.Tests;

public sealed class PipelineRunStatusTests
{
    [Fact]
    public void Json_HasTheNamesTheApiHasAlwaysUsed_AndReadsBack()
    {
        var status = new PipelineRunStatus("run-1", OrchestrationRuntimeStatus.Completed,
            new PipelineProgress(PipelineStage.Done, 1, 2, 2, 0.81, "promoted") { TestAccuracy = 0.8 },
            new PipelineResult(PipelineOutcome.Published, "gan", 3, null, true, "ok", "abc", "run", 1) { FrechetDistance = 42.5 },
            null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

        string json = JsonSerializer.Serialize(status, PipelineRunStatus.JsonOptions);
        var read = JsonSerializer.Deserialize<PipelineRunStatus>(json, PipelineRunStatus.JsonOptions)!;

        Assert.Contains("\"status\":\"Completed\"", json, StringComparison.Ordinal);
        Assert.Contains("\"stage\":\"done\"", json, StringComparison.Ordinal);
        Assert.Contains("\"outcome\":\"Published\"", json, StringComparison.Ordinal);
        Assert.Equal(status.Progress, read.Progress);
        Assert.True(read.Ended);
        Assert.Equal("Fréchet distance 42.50", read.Result!.Figure());
    }

    [Fact]
    public void Progress_AsTheDurableCustomStatus_KeepsTheStageInLowerCase()
    {
        string json = JsonSerializer.Serialize(new PipelineProgress(PipelineStage.Training, 1, 1, 5, null, null));

        Assert.Contains("\"Stage\":\"training\"", json, StringComparison.Ordinal);
        Assert.Equal(PipelineStage.Training, JsonSerializer.Deserialize<PipelineProgress>(json)!.Stage);
    }
}
