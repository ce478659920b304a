using System.IO.Compression;
using Lepton.Core.Data;
using Lepton.Tests;

namespace Lepton.Pipeline.Tests;

/// <summary>The class names of a dataset are decided once, from the name the user gave it, whichever way it arrives.</summary>
public sealed class DatasetLabelsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-labels-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Unlabeled(string folder)
    {
        TestDatasets.WriteSlice(folder, train: 100, test: 20);
        File.Delete(Path.Combine(folder, MnistDataset.LabelsFile));
        return folder;
    }

    [Fact]
    public void FashionFolder_AsAFolderAsItsArchiveAndAsAStoredUpload_HasTheFashionNames()
    {
        string folder = Unlabeled(Path.Combine(_dir, "fashion-mnist")); // as Debian's dataset-fashion-mnist: the IDX files alone
        string archive = Path.Combine(_dir, "scratch", "fashion-mnist.zip");
        Directory.CreateDirectory(Path.GetDirectoryName(archive)!);
        ZipFile.CreateFromDirectory(folder, archive);
        string downloaded = Path.Combine(_dir, "uploads_copy.zip"); // the workspace's local copy of datasets/{model}/{file}
        File.Copy(archive, downloaded);

        var fromFolder = DatasetPreparation.Prepare(folder, Path.Combine(_dir, "work1"));
        var fromArchive = DatasetPreparation.Prepare(archive, Path.Combine(_dir, "work2"));
        var fromStore = DatasetPreparation.Prepare(downloaded, Path.Combine(_dir, "work3"), DatasetPreparation.SourceName("datasets/fashion/fashion-mnist.zip"));

        Assert.All(new[] { fromFolder, fromArchive, fromStore }, p => Assert.Equal(MnistDataset.FashionMnistLabels, p.Labels));
        Assert.Equal(MnistDataset.FashionMnistLabels, File.ReadAllLines(Path.Combine(fromStore.Folder, MnistDataset.LabelsFile)));
        Assert.Equal(fromFolder.Version, fromStore.Version);
    }

    [Fact]
    public void SameFilesUnderAnotherName_AreDigits_AndAnotherDatasetVersion()
    {
        string folder = Unlabeled(Path.Combine(_dir, "scans"));

        var prepared = DatasetPreparation.Prepare(folder, Path.Combine(_dir, "work"));

        Assert.Equal(MnistDataset.DigitLabels, prepared.Labels);
        Assert.NotEqual(DatasetPreparation.ComputeVersion(folder, "fashion.zip"), prepared.Version);
    }
}
