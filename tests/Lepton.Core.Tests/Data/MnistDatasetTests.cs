using Lepton.Tests;
using Lepton.Core.Data;

namespace Lepton.Core.Tests.Data;

public sealed class MnistDatasetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-mnist-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void WriteSet(string imagesName, string labelsName, int count, byte[]? labels = null)
    {
        IdxFile.Write(Path.Combine(_dir, imagesName), [count, 28, 28], new byte[count * 28 * 28]);
        IdxFile.Write(Path.Combine(_dir, labelsName), [labels?.Length ?? count], labels ?? Enumerable.Range(0, count).Select(i => (byte)(i % 10)).ToArray());
    }

    [Fact]
    public void Load_StandardNamesGzippedAndRaw_LoadsBothSplits()
    {
        WriteSet(MnistDataset.TrainImages + ".gz", MnistDataset.TrainLabels + ".gz", 20);
        WriteSet(MnistDataset.TestImages, MnistDataset.TestLabels, 10);

        var data = MnistDataset.Load(_dir);

        Assert.Equal(20, data.Train.Count);
        Assert.Equal(10, data.Test.Count);
        Assert.Equal(MnistDataset.DigitLabels, data.LabelNames);
    }

    [Fact]
    public void Load_LabelsTxt_GivesClassNames()
    {
        WriteSet(MnistDataset.TrainImages, MnistDataset.TrainLabels, 4, [0, 1, 2, 1]);
        WriteSet(MnistDataset.TestImages, MnistDataset.TestLabels, 2, [2, 0]);
        File.WriteAllLines(Path.Combine(_dir, MnistDataset.LabelsFile), ["cat", "dog", "bird"]);

        var data = MnistDataset.Load(_dir);

        Assert.Equal(["cat", "dog", "bird"], data.LabelNames);
    }

    [Fact]
    public void Load_CountMismatch_NamesLabelFile()
    {
        IdxFile.Write(Path.Combine(_dir, MnistDataset.TrainImages), [5, 28, 28], new byte[5 * 784]);
        IdxFile.Write(Path.Combine(_dir, MnistDataset.TrainLabels), [4], [0, 1, 2, 3]);
        WriteSet(MnistDataset.TestImages, MnistDataset.TestLabels, 2);

        var ex = Assert.Throws<DatasetFormatException>(() => MnistDataset.Load(_dir));

        Assert.Contains(MnistDataset.TrainLabels, ex.Message, StringComparison.Ordinal);
        Assert.Contains("label/image count mismatch", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_LabelOutOfRange_SaysWhichExample()
    {
        WriteSet(MnistDataset.TrainImages, MnistDataset.TrainLabels, 3, [0, 12, 1]);
        WriteSet(MnistDataset.TestImages, MnistDataset.TestLabels, 2);

        var ex = Assert.Throws<DatasetFormatException>(() => MnistDataset.Load(_dir));

        Assert.Contains("label out of range: example 1 has label 12", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_ListsTheExpectedFiles()
    {
        WriteSet(MnistDataset.TrainImages, MnistDataset.TrainLabels, 3);

        var ex = Assert.Throws<DatasetFormatException>(() => MnistDataset.Load(_dir));

        Assert.Contains(MnistDataset.TestImages, ex.Message, StringComparison.Ordinal);
        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FashionFolderName_UsesFashionLabels()
    {
        string fashion = Path.Combine(_dir, "fashion-mnist");
        Directory.CreateDirectory(fashion);
        IdxFile.Write(Path.Combine(fashion, MnistDataset.TrainImages), [1, 28, 28], new byte[784]);
        IdxFile.Write(Path.Combine(fashion, MnistDataset.TrainLabels), [1], [9]);
        IdxFile.Write(Path.Combine(fashion, MnistDataset.TestImages), [1, 28, 28], new byte[784]);
        IdxFile.Write(Path.Combine(fashion, MnistDataset.TestLabels), [1], [0]);

        var data = MnistDataset.Load(fashion);

        Assert.Equal("Ankle boot", data.LabelNames[data.Train.Labels[0]]);
    }

    [Fact]
    public void Load_RealFashionMnist_HasTheExpectedShape()
    {
        var data = TestDatasets.FashionMnist;

        Assert.Equal((60_000, 10_000), (data.Train.Count, data.Test.Count));
        Assert.Equal((28, 28), (data.Train.Images.Rows, data.Train.Images.Columns));
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(6000, data.Train.Labels.Count(l => l == c)));
    }
}
