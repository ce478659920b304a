using Lepton.Core.Contracts;

namespace Lepton.Core.Tests.Contracts;

public sealed class TrainingJobSpecTests
{
    private static readonly string[] Known = ["cnn", "mlp"];

    [Fact]
    public void Validate_Defaults_WithDataAndOutput_IsValid()
    {
        var spec = new TrainingJobSpec { Data = "d", Output = "o" };

        Assert.Empty(spec.Validate(Known));
    }

    [Fact]
    public void Validate_ManyProblems_ListsEachOne()
    {
        var spec = new TrainingJobSpec { Architecture = "transformer", Epochs = 0, BatchSize = -1, LearningRate = 0, TrainLimit = 0 };

        var errors = spec.Validate(Known);

        Assert.Contains(errors, e => e.Contains("unknown architecture 'transformer' (known: cnn, mlp)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("epochs", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("batch size", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("learning rate", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("train limit", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("data", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("output", StringComparison.Ordinal));
    }

    [Fact]
    public void Json_RoundTrips_CamelCase()
    {
        var spec = new TrainingJobSpec { Architecture = "mlp", Data = "/d", Output = "/o", Epochs = 3, TrainLimit = 100, Labels = ["x", "y"] };

        string json = LeptonJson.Serialize(spec);
        var back = LeptonJson.Deserialize<TrainingJobSpec>(json, "test");

        Assert.Contains("\"trainLimit\": 100", json, StringComparison.Ordinal);
        Assert.Equal(spec with { Labels = null }, back with { Labels = null });
        Assert.Equal(spec.Labels, back.Labels);
    }

    [Fact]
    public void Json_UnknownField_IsRejectedWithSource()
    {
        var ex = Assert.Throws<InvalidDataException>(() => LeptonJson.Deserialize<TrainingJobSpec>("{\"epochz\": 3}", "job.json"));

        Assert.Contains("job.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("epochz", ex.Message, StringComparison.Ordinal);
    }
}
