using Lepton.Core.Contracts;
using Lepton.Pipeline.Compute;

namespace Lepton.Pipeline.Tests;

/// <summary>Threads of a sweep's trials that train together on one machine.</summary>
public sealed class TrainingJobSubmissionTests
{
    private static TrainingJobSubmission Submission(int? threads, int? sharedBy) =>
        new("run", "job", 1, "data", "prepared/x", new TrainingJobSpec { Architecture = "mlp", Threads = threads }, SharedBy: sharedBy);

    [Theory]
    [InlineData(8, 2, 4)]
    [InlineData(8, 3, 2)]
    [InlineData(2, 2, 1)]
    [InlineData(2, 8, 1)] // never fewer than one
    public void SpecOn_SharedAndNoThreadsSet_GivesEachItsShareOfTheCores(int cores, int sharedBy, int threads) =>
        Assert.Equal(threads, Submission(null, sharedBy).SpecOn(cores).Threads);

    [Fact]
    public void SpecOn_ThreadsSetOrAlone_KeepsTheSpec()
    {
        Assert.Equal(3, Submission(3, 4).SpecOn(8).Threads);
        Assert.Null(Submission(null, null).SpecOn(8).Threads); // a job alone: the trainer's default, all cores
        Assert.Null(Submission(null, 1).SpecOn(8).Threads);
    }
}
