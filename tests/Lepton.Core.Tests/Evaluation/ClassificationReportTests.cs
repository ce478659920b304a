using Lepton.Core.Evaluation;

namespace Lepton.Core.Tests.Evaluation;

public sealed class ClassificationReportTests
{
    [Fact]
    public void Compute_KnownPredictions_GivesPrecisionRecallF1AndConfusion()
    {
        byte[] actual = [0, 0, 0, 1, 1, 2];
        int[] predicted = [0, 0, 1, 1, 2, 2];

        var report = ClassificationReport.Compute(actual, predicted, ["a", "b", "c"]);

        Assert.Equal(4.0 / 6, report.Accuracy, 10);
        Assert.Equal([2, 1, 0], report.ConfusionMatrix[0]);
        Assert.Equal([0, 1, 1], report.ConfusionMatrix[1]);
        Assert.Equal(1.0, report.Classes[0].Precision, 10);
        Assert.Equal(2.0 / 3, report.Classes[0].Recall, 10);
        Assert.Equal(0.8, report.Classes[0].F1, 10);
        Assert.Equal(0.5, report.Classes[1].Precision, 10);
        Assert.Equal(0.5, report.Classes[2].Precision, 10);
        Assert.Equal(1.0, report.Classes[2].Recall, 10);
        Assert.Equal(3, report.Classes[0].Support);
    }

    [Fact]
    public void ArgMax_PicksLargestPerRow()
    {
        float[] scores = [0.1f, 0.7f, 0.2f, 3f, -1f, 2f];

        Assert.Equal([1, 0], ClassificationReport.ArgMax(scores, 3));
    }

    [Fact]
    public void Compute_PredictionOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationReport.Compute([0], [5], ["a", "b"]));
    }
}
