using System.IO.Compression;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using SkiaSharp;

namespace Lepton.Pipeline.Tests;

public sealed class ImageFoldersTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-image-folders-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A photo-like PNG: a dark square on white, on the left or the right.</summary>
    private static byte[] Photo(bool left, int jitter)
    {
        using var bitmap = new SKBitmap(56, 56);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            using var paint = new SKPaint { Color = SKColors.Black };
            canvas.DrawRect(left ? 6 + jitter : 30 + jitter, 16, 18, 20, paint);
        }

        using var image = SKImage.FromBitmap(bitmap);
        return image.Encode(SKEncodedImageFormat.Png, 100).ToArray();
    }

    private string Archive(string name, Func<int, string> pathOf, int perClass)
    {
        string path = Path.Combine(_dir, name);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        for (int i = 0; i < perClass; i++)
        {
            foreach (bool left in new[] { true, false })
            {
                var entry = zip.CreateEntry(pathOf(i).Replace("{class}", left ? "left" : "right", StringComparison.Ordinal));
                using var stream = entry.Open();
                stream.Write(Photo(left, i % 4));
            }
        }

        return path;
    }

    [Fact]
    public void Prepare_ClassFolders_BecomeAnIdxDatasetWithAStratifiedTestSixth()
    {
        string archive = Archive("shapes.zip", i => $"shapes/{{class}}/{i:D3}.png", perClass: 30);

        var prepared = DatasetPreparation.Prepare(archive, Path.Combine(_dir, "work"));
        var dataset = MnistDataset.Load(prepared.Folder);

        Assert.Equal(["left", "right"], dataset.LabelNames);
        Assert.Equal((50, 10), (dataset.Train.Count, dataset.Test.Count));
        Assert.Equal(5, dataset.Test.Labels.Count(l => l == 0));
        // Gray pictures keep their size (56: the median shorter side) and are inverted like a served photo:
        // the square is bright on a dark background, on its side.
        Assert.Equal(new ImageInputSpec(new ImageShape(1, 56, 56), ResizePolicy.ShorterSideCenterCrop, ImagePolarity.LightOnDark), dataset.Image);
        var first = dataset.Train.Images.Image(Array.IndexOf(dataset.Train.Labels, (byte)0));
        Assert.Equal(0, first[0]);
        Assert.True(first[(28 * 56) + 14] > 200);
        Assert.Equal(prepared.Version, DatasetPreparation.ComputeVersion(archive));
    }

    [Fact]
    public void Prepare_TrainAndTestFolders_AreKept()
    {
        string archive = Archive("split.zip", i => i < 8 ? $"train/{{class}}/{i}.png" : $"test/{{class}}/{i}.png", perClass: 10);

        var dataset = MnistDataset.Load(DatasetPreparation.Prepare(archive, Path.Combine(_dir, "work")).Folder);

        Assert.Equal((16, 4), (dataset.Train.Count, dataset.Test.Count));
    }

    [Fact]
    public void Prepare_OneClassOnly_IsRejected()
    {
        string path = Path.Combine(_dir, "one.zip");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var stream = zip.CreateEntry("only/1.png").Open();
            stream.Write(Photo(true, 0));
        }

        var ex = Assert.Throws<DatasetFormatException>(() => DatasetPreparation.Prepare(path, Path.Combine(_dir, "work")));

        Assert.Contains("at least two class folders", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prepare_BrokenImage_NamesIt()
    {
        string path = Archive("broken.zip", i => $"{{class}}/{i}.png", perClass: 3);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            using var stream = zip.CreateEntry("left/bad.png").Open();
            stream.Write("not a png"u8);
        }

        var ex = Assert.Throws<DatasetFormatException>(() => DatasetPreparation.Prepare(path, Path.Combine(_dir, "work")));

        Assert.Contains("left/bad.png", ex.Message, StringComparison.Ordinal);
    }
}
