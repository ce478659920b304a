using Lepton.Core.Data;

namespace Lepton.Core.Tests.Data;

public sealed class PreprocessingTests
{
    [Fact]
    public void Split_IsStratifiedDisjointAndComplete()
    {
        byte[] labels = Enumerable.Range(0, 1000).Select(i => (byte)(i < 700 ? 0 : i < 900 ? 1 : 2)).ToArray();

        var (train, validation) = StratifiedSplit.Split(labels, 0.1, seed: 7);

        Assert.Equal(1000, train.Length + validation.Length);
        Assert.Empty(train.Intersect(validation));
        Assert.Equal(70, validation.Count(i => labels[i] == 0));
        Assert.Equal(20, validation.Count(i => labels[i] == 1));
        Assert.Equal(10, validation.Count(i => labels[i] == 2));
    }

    [Fact]
    public void Split_SameSeed_SameSplit_OtherSeed_OtherSplit()
    {
        byte[] labels = Enumerable.Range(0, 500).Select(i => (byte)(i % 5)).ToArray();

        var a = StratifiedSplit.Split(labels, 0.2, seed: 1);
        var b = StratifiedSplit.Split(labels, 0.2, seed: 1);
        var c = StratifiedSplit.Split(labels, 0.2, seed: 2);

        Assert.Equal(a.Validation, b.Validation);
        Assert.NotEqual(a.Validation, c.Validation);
    }

    [Fact]
    public void Split_BadFraction_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StratifiedSplit.Split([0, 1], 1.0, 0));
    }

    [Fact]
    public void Normalization_ScaledPixels_MeanAndStd()
    {
        var images = new ImageArray([0, 255, 0, 255], 1, 2, 2);

        var stats = Normalization.Compute(images);

        Assert.Equal(0.5f, stats.Mean, 5);
        Assert.Equal(0.5f, stats.Std, 5);
    }

    [Fact]
    public void Normalization_ConstantImages_HaveUnitStd()
    {
        var stats = Normalization.Compute(new ImageArray([7, 7, 7, 7], 1, 2, 2));

        Assert.Equal(1f, stats.Std);
    }

    [Fact]
    public void ToScaledFloats_MapsBytesToUnitInterval()
    {
        var floats = new ImageArray([0, 51, 255, 102], 1, 2, 2).ToScaledFloats();

        Assert.Equal([0f, 0.2f, 1f, 0.4f], floats);
    }

    [Fact]
    public void MirroredLeftRight_ReversesEveryRowOfEveryPlane()
    {
        // Two 3-channel 1x3 images.
        var images = new ImageArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18], 2, 1, 3, 3);

        var mirrored = images.MirroredLeftRight();

        Assert.Equal([3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10, 15, 14, 13, 18, 17, 16], mirrored.Pixels);
        Assert.Equal((2, 1, 3, 3), (mirrored.Count, mirrored.Rows, mirrored.Columns, mirrored.Channels));
        Assert.Equal(1, images.Pixels[0]); // the original is left as it was
    }
}
