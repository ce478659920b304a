using System.Text.Json;
using Lepton.Core.Contracts;
using Lepton.Pipeline.Orchestration;

namespace Lepton.Pipeline.Tests;

public sealed class SweepPlanTests
{
    private static JsonElement[] Values(params object[] values) => values.Select(v => JsonSerializer.SerializeToElement(v)).ToArray();

    private static TrainingJobSpec Spec(SweepSpec sweep) => new() { Architecture = "cnn", Epochs = 2, Sweep = sweep };

    private static readonly Dictionary<string, IReadOnlyList<JsonElement>> Grid = new()
    {
        ["learningRate"] = Values(0.001, 0.01),
        ["batchSize"] = Values(32, 64, 128),
    };

    [Fact]
    public void Grid_EveryCombination_LastSettingFastest()
    {
        var trials = SweepPlan.Trials(Spec(new SweepSpec { Parameters = Grid }));

        Assert.Equal(6, trials.Count);
        Assert.Equal(Enumerable.Range(1, 6), trials.Select(t => t.Trial));
        Assert.Equal("learningRate=0.001 batchSize=32", trials[0].Settings);
        Assert.Equal("learningRate=0.001 batchSize=64", trials[1].Settings);
        Assert.Equal("learningRate=0.01 batchSize=128", trials[5].Settings);
        Assert.Equal((0.01, 128, 2, "cnn"), (trials[5].Spec.LearningRate, trials[5].Spec.BatchSize, trials[5].Spec.Epochs, trials[5].Spec.Architecture));
        Assert.All(trials, t => Assert.Null(t.Spec.Sweep));
        Assert.All(trials, t => Assert.False(t.PreparesOwnData));
    }

    [Fact]
    public void Random_DrawsDistinctCombinations_TheSameForTheSameSeed()
    {
        var sweep = new SweepSpec { Parameters = Grid, Trials = 4 };

        var first = SweepPlan.Trials(Spec(sweep)).Select(t => t.Settings).ToArray();
        var again = SweepPlan.Trials(Spec(sweep)).Select(t => t.Settings).ToArray();
        var otherSeed = SweepPlan.Trials(Spec(sweep) with { Seed = 7 }).Select(t => t.Settings).ToArray();

        Assert.Equal(4, first.Distinct().Count());
        Assert.Equal(first, again);
        Assert.NotEqual(first, otherSeed);
    }

    [Fact]
    public void ArchitectureAndImageSize_CanBeSwept_ImageSizeTrialsPrepareTheirOwnData()
    {
        var trials = SweepPlan.Trials(Spec(new SweepSpec
        {
            Parameters = new Dictionary<string, IReadOnlyList<JsonElement>> { ["architecture"] = Values("mlp", "cnn-bn"), ["imageSize"] = Values(16, 32) },
        }));

        Assert.Equal(["mlp", "mlp", "cnn-bn", "cnn-bn"], trials.Select(t => t.Spec.Architecture));
        Assert.Equal([16, 32, 16, 32], trials.Select(t => t.Spec.ImageSize));
        Assert.All(trials, t => Assert.True(t.PreparesOwnData));
    }

    [Theory]
    [InlineData("data", "sweep: 'data' cannot be swept")]
    [InlineData("lerningRate", "sweep: 'lerningRate' is not a training setting")]
    public void Validate_RefusesSettingsThatAreNotSweepable(string name, string expected)
    {
        var errors = new SweepSpec { Parameters = new Dictionary<string, IReadOnlyList<JsonElement>> { [name] = Values(1, 2) } }.Validate();

        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_RefusesMoreTrialsThanCombinations_AndTooBigAGrid()
    {
        Assert.Contains("sweep: 7 trials asked, but the values make only 6 distinct combinations", new SweepSpec { Parameters = Grid, Trials = 7 }.Validate());
        var huge = new SweepSpec { Parameters = new Dictionary<string, IReadOnlyList<JsonElement>> { ["seed"] = Values([.. Enumerable.Range(0, 9).Cast<object>()]), ["epochs"] = Values([.. Enumerable.Range(1, 8).Cast<object>()]) } };
        Assert.Contains(huge.Validate(), e => e.Contains("the grid has 72 combinations", StringComparison.Ordinal));
        Assert.Empty((huge with { Trials = 8 }).Validate());
    }

    [Fact]
    public void RunId_CoversTheSweep_ButNotHowManyRunAtOnce()
    {
        var request = new PipelineRequest { ModelName = "m", Dataset = "d", Training = Spec(new SweepSpec { Parameters = Grid, MaxConcurrent = 2 }) };
        string dataset = new('a', 64);

        string id = TrainingPipeline.RunId(request, dataset);

        Assert.Equal(id, TrainingPipeline.RunId(request with { Training = request.Training with { Sweep = request.Training.Sweep! with { MaxConcurrent = 5 } } }, dataset));
        Assert.NotEqual(id, TrainingPipeline.RunId(request with { Training = request.Training with { Sweep = request.Training.Sweep! with { Trials = 3 } } }, dataset));
        Assert.NotEqual(id, TrainingPipeline.RunId(request with { Training = request.Training with { Sweep = null } }, dataset));
        Assert.Equal(id + "-t03", SweepPlan.TrialRunId(id, 3));
    }

    [Fact]
    public void LeptonJson_CarriesASweep_IntoTheRequest()
    {
        const string json = """{"epochs": 1, "sweep": {"parameters": {"learningRate": [0.001, 0.01], "architecture": ["mlp", "cnn"]}, "trials": 3, "earlyTermination": true}}""";

        var request = UploadSettings.Parse(json, "lepton.json").ApplyTo(new PipelineRequest { ModelName = "m", Dataset = "datasets/m/d.zip" });

        var sweep = request.Training.Sweep!;
        Assert.Equal((3, true), (sweep.Trials, sweep.EarlyTermination));
        Assert.Equal(["learningRate=0.001 architecture=mlp", "learningRate=0.001 architecture=cnn", "learningRate=0.01 architecture=mlp", "learningRate=0.01 architecture=cnn"],
            SweepPlan.Trials(request.Training with { Sweep = sweep with { Trials = null } }).Select(t => t.Settings));
        Assert.Empty(request.Validate());
        Assert.Throws<InvalidDataException>(() => UploadSettings.Parse("""{"sweep": {"parameters": {"learningRate": [0.001]}, "trails": 3}}""", "lepton.json"));
    }

    private static TrialProgress Trial(int trial, TrialState state, params double?[] accuracies) =>
        new(trial, $"t{trial}", $"run-t{trial}", state, accuracies.Length, 3, accuracies, null);

    [Fact]
    public void MedianStopping_StopsATrialBelowTheMedianOfTheOthersAtItsEpoch()
    {
        var others = new[] { Trial(1, TrialState.Running, 0.80), Trial(2, TrialState.Succeeded, 0.82, 0.85, 0.86), Trial(3, TrialState.Running, 0.78) };

        string? stop = MedianStopping.Judge(Trial(4, TrialState.Running, 0.70), others, fromEpoch: 1);

        Assert.Equal("stopped early: validation accuracy 0.7000 after epoch 1 is below the median 0.8000 of 3 other trial(s)", stop);
        Assert.Null(MedianStopping.Judge(Trial(4, TrialState.Running, 0.81), others, fromEpoch: 1));
        Assert.Null(MedianStopping.Judge(Trial(4, TrialState.Running, 0.70), others, fromEpoch: 2)); // not yet judged
        Assert.Null(MedianStopping.Judge(Trial(4, TrialState.Running, 0.70), others.Take(1), fromEpoch: 1)); // one other: no median
        Assert.Null(MedianStopping.Judge(Trial(4, TrialState.Running, 0.70, 0.70, 0.70), others, fromEpoch: 1)); // its last epoch: done anyway
        // At epoch 2 only trial 2 got that far, with trial 1 also there now: the median of 0.85 and 0.84.
        var later = new[] { Trial(1, TrialState.Running, 0.80, 0.84), others[1], others[2] };
        Assert.NotNull(MedianStopping.Judge(Trial(4, TrialState.Running, 0.90, 0.83), later, fromEpoch: 1));
    }
}
