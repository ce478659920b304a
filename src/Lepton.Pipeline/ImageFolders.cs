using Lepton.Core.Data;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;

namespace Lepton.Pipeline;

/// <summary>
/// An upload of image folders, one folder per class (<c>{class}/{image}.png</c>, optionally under
/// <c>train/</c> and <c>test/</c>), turned into the four IDX files and labels.txt. Images are decoded as
/// the server decodes them (grayscale, fitted to 28x28, inverted when their border is light), so training
/// sees what serving will. Without train/test folders a stratified sixth (fixed seed) is the test split.
/// </summary>
public static class ImageFolders
{
    public const int Size = 28;
    public const int MaxImages = 200_000;

    /// <summary>One image of the archive: its class folder, its split folder when there is one, its bytes.</summary>
    public sealed record Entry(string Path, string Class, string? Split, byte[] Data);

    public static bool IsImage(string name) =>
        name.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase);

    /// <summary>The class and split of an archive path, or null when the path is not inside a class folder.</summary>
    public static (string Class, string? Split)? Classify(string archivePath)
    {
        ArgumentNullException.ThrowIfNull(archivePath);
        string[] parts = archivePath.Replace('\\', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2)
        {
            return null;
        }

        string cls = parts[^2];
        string? split = parts.Length >= 3 && parts[^3].ToLowerInvariant() is "train" or "test" ? parts[^3].ToLowerInvariant() : null;
        return (cls, split);
    }

    /// <summary>Writes the IDX files and labels.txt for the images into <paramref name="folder"/>.</summary>
    public static void WriteDataset(IReadOnlyList<Entry> images, string folder)
    {
        ArgumentNullException.ThrowIfNull(images);
        string[] classes = images.Select(i => i.Class).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
        {
            throw new DatasetFormatException(folder, $"an image-folder archive needs at least two class folders, found {classes.Length}");
        }

        if (images.Count > MaxImages)
        {
            throw new DatasetFormatException(folder, $"{images.Count} images: at most {MaxImages} are accepted");
        }

        var pixels = new byte[images.Count * Size * Size];
        var labels = new byte[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            float[] decoded;
            try
            {
                decoded = ImageDecoder.Decode(images[i].Data, Size, Size, ImageInversion.Auto, ImageDecoder.DefaultMaxPixels);
            }
            catch (InputException ex)
            {
                throw new DatasetFormatException(images[i].Path, ex.Message);
            }

            for (int p = 0; p < decoded.Length; p++)
            {
                pixels[(i * Size * Size) + p] = (byte)Math.Clamp(MathF.Round(decoded[p] * 255f), 0, 255);
            }

            labels[i] = (byte)Array.IndexOf(classes, images[i].Class);
        }

        var all = new LabeledImages(new ImageArray(pixels, images.Count, Size, Size), labels);
        int[] train, test;
        if (images.Any(i => i.Split is not null))
        {
            train = Enumerable.Range(0, images.Count).Where(i => images[i].Split != "test").ToArray();
            test = Enumerable.Range(0, images.Count).Where(i => images[i].Split == "test").ToArray();
        }
        else
        {
            (train, test) = StratifiedSplit.Split(labels, 1.0 / 6, seed: 0);
        }

        if (train.Length == 0 || test.Length == 0)
        {
            throw new DatasetFormatException(folder, $"the image folders give {train.Length} training and {test.Length} test images; both are needed");
        }

        Write(folder, MnistDataset.TrainImages, MnistDataset.TrainLabels, all.Select(train));
        Write(folder, MnistDataset.TestImages, MnistDataset.TestLabels, all.Select(test));
        File.WriteAllLines(Path.Combine(folder, MnistDataset.LabelsFile), classes);
    }

    private static void Write(string folder, string images, string labels, LabeledImages data)
    {
        IdxFile.Write(Path.Combine(folder, images + ".gz"), [data.Count, Size, Size], data.Images.Pixels);
        IdxFile.Write(Path.Combine(folder, labels + ".gz"), [data.Count], data.Labels);
    }
}
