using System.IO.Compression;
using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Tests;
using SkiaSharp;

namespace Lepton.Pipeline.Tests;

public sealed class ColorImageFoldersTests : IDisposable
{
    private static readonly SKColor[] Colors = [SKColors.Red, SKColors.Lime, SKColors.Blue];

    private static readonly string[] Names = ["blue", "green", "red"];

    private readonly string _dir = Directory.CreateTempSubdirectory("lepton-color-folders-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Class folders red/, green/, blue/ of solid squares on white, <paramref name="perClass"/> each, sized 40..60 x 50..70.</summary>
    private string Folders(int perClass, Func<int, SKColor, byte[]>? picture = null)
    {
        string root = Path.Combine(_dir, "colors");
        for (int c = 0; c < 3; c++)
        {
            string folder = Directory.CreateDirectory(Path.Combine(root, Names[2 - c])).FullName;
            for (int i = 0; i < perClass; i++)
            {
                int w = 40 + (i % 21), h = 50 + (i % 21);
                byte[] data = picture?.Invoke(i, Colors[c])
                    ?? ImageFiles.EncodeColor((x, y) => x > w / 4 && x < 3 * w / 4 && y > h / 4 && y < 3 * h / 4 ? Colors[c] : SKColors.White, w, h);
                File.WriteAllBytes(Path.Combine(folder, $"{i:D3}.png"), data);
            }
        }

        return root;
    }

    [Fact]
    public void Prepare_ColorFolder_KeepsColorAndSizeAsIs()
    {
        var prepared = DatasetPreparation.Prepare(Folders(perClass: 12), Path.Combine(_dir, "work"));
        var dataset = MnistDataset.Load(prepared.Folder);

        Assert.Equal(["blue", "green", "red"], dataset.LabelNames);
        // 36 pictures whose shorter sides are 40..60: the median is 46 (i = 6 of 0..11).
        Assert.Equal(new ImageInputSpec(new ImageShape(3, 46, 46), ResizePolicy.ShorterSideCenterCrop, ImagePolarity.AsIs), dataset.Image);
        Assert.Equal((30, 6), (dataset.Train.Count, dataset.Test.Count));
        int red = Array.IndexOf(dataset.Train.Labels, (byte)2);
        var image = dataset.Train.Images.Image(red);
        int plane = 46 * 46, centre = (23 * 46) + 23;
        Assert.Equal((255, 0, 0), (image[centre], image[plane + centre], image[(2 * plane) + centre])); // red, not inverted
        Assert.Equal((255, 255, 255), (image[0], image[plane], image[2 * plane]));                      // white paper
        Assert.Contains("\"channels\": 3", File.ReadAllText(Path.Combine(prepared.Folder, "dataset.json")), StringComparison.Ordinal);
        Assert.Equal(prepared.Version, DatasetPreparation.ComputeVersion(Folders(perClass: 12)));
    }

    [Fact]
    public void Prepare_Options_OverrideSizeAndChannels()
    {
        string folders = Folders(perClass: 6);

        var gray = DatasetPreparation.Prepare(folders, Path.Combine(_dir, "work"), images: new ImageFolderOptions(Size: 20, Channels: 1));
        var color = DatasetPreparation.Prepare(folders, Path.Combine(_dir, "work"));

        Assert.Equal(new ImageShape(1, 20, 20), MnistDataset.Load(gray.Folder).Image.Shape);
        Assert.NotEqual(gray.Version, color.Version);
    }

    [Fact]
    public void Prepare_AlphaPictures_AreCompositedOverWhite()
    {
        var prepared = DatasetPreparation.Prepare(Folders(perClass: 4, (_, c) => ImageFiles.EncodeColor((_, _) => c.WithAlpha(128), 32, 32)), Path.Combine(_dir, "work"));
        var dataset = MnistDataset.Load(prepared.Folder);

        var image = dataset.Train.Images.Image(Array.IndexOf(dataset.Train.Labels, (byte)2)); // red at half alpha: pink
        Assert.Equal((255, 127, 127), (image[0], image[32 * 32], image[2 * 32 * 32]));
    }

    [Fact]
    public void Prepare_OneBadPictureInOver100_IsSkippedAndListed()
    {
        string folders = Folders(perClass: 40);
        File.WriteAllBytes(Path.Combine(folders, "red", "broken.png"), "not a png"u8.ToArray());

        var prepared = DatasetPreparation.Prepare(folders, Path.Combine(_dir, "work"));

        Assert.Equal(120, prepared.TrainExamples + prepared.TestExamples);
        var skipped = Assert.Single(prepared.Skipped);
        Assert.StartsWith("red/broken.png: ", skipped, StringComparison.Ordinal); // its path inside the upload
        Assert.Contains("broken.png", File.ReadAllText(Path.Combine(prepared.Folder, "dataset.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void Prepare_ClassWithOnlyBadPictures_FailsNamingIt()
    {
        string folders = Folders(perClass: 80);
        string empty = Directory.CreateDirectory(Path.Combine(folders, "void")).FullName;
        File.WriteAllBytes(Path.Combine(empty, "truncated.png"), ImageFiles.EncodeColor((_, _) => SKColors.Red, 32, 32)[..40]);

        var ex = Assert.Throws<DatasetFormatException>(() => DatasetPreparation.Prepare(folders, Path.Combine(_dir, "work")));

        Assert.Contains("class void has no readable image", ex.Message, StringComparison.Ordinal);
        Assert.Contains("truncated.png", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prepare_ColorZip_IsTheSameDatasetAsTheFolder()
    {
        string folders = Folders(perClass: 6);
        string zip = Path.Combine(_dir, "colors.zip");
        ZipFile.CreateFromDirectory(folders, zip, CompressionLevel.Fastest, includeBaseDirectory: true);

        Assert.Equal(DatasetPreparation.ComputeVersion(folders), DatasetPreparation.ComputeVersion(zip));
    }
}
