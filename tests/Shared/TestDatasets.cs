using Lepton.Core.Data;

namespace Lepton.Tests;

/// <summary>
/// Where the tests find Fashion-MNIST (LEPTON_FASHION_MNIST, else the Debian package's folder), loaded
/// once per test process, and small slices of it written as dataset folders.
/// </summary>
internal static class TestDatasets
{
    /// <summary>
    /// A new temporary folder deleted when the test process exits: for what a class's tests share (a model
    /// trained once), which no single test can delete. A process killed before its end leaves it.
    /// </summary>
    public static string ProcessTempFolder(string prefix)
    {
        string folder = Directory.CreateTempSubdirectory(prefix).FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // still in use by a process of its own: left for the system's temporary-file cleanup
            }
        };
        return folder;
    }

    private static readonly Lazy<MnistDataset> Fashion = new(() => MnistDataset.Load(FashionMnistFolder));

    public static string FashionMnistFolder
    {
        get
        {
            string folder = Environment.GetEnvironmentVariable("LEPTON_FASHION_MNIST") ?? "/usr/share/datasets/fashion-mnist";
            return Directory.Exists(folder)
                ? folder
                : throw new InvalidOperationException(
                    $"Fashion-MNIST not found at {folder}: install the Debian package dataset-fashion-mnist (scripts/test.sh does) or set LEPTON_FASHION_MNIST");
        }
    }

    public static MnistDataset FashionMnist => Fashion.Value;

    /// <summary>Writes the first <paramref name="train"/> training and <paramref name="test"/> test images as a dataset folder.</summary>
    public static string WriteSlice(string folder, int train, int test)
    {
        Directory.CreateDirectory(folder);
        Write(folder, MnistDataset.TrainImages, MnistDataset.TrainLabels, FashionMnist.Train.Take(train));
        Write(folder, MnistDataset.TestImages, MnistDataset.TestLabels, FashionMnist.Test.Take(test));
        File.WriteAllLines(Path.Combine(folder, MnistDataset.LabelsFile), FashionMnist.LabelNames);
        return folder;
    }

    private static void Write(string folder, string images, string labels, LabeledImages data)
    {
        IdxFile.Write(Path.Combine(folder, images + ".gz"), [data.Count, data.Images.Rows, data.Images.Columns], data.Images.Pixels);
        IdxFile.Write(Path.Combine(folder, labels + ".gz"), [data.Count], data.Labels);
    }
}
