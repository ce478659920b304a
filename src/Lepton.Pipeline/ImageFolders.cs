using Lepton.Core.Contracts;
using Lepton.Core.Data;
using Lepton.Inference.Decoding;
using Lepton.Inference.Runtime;

namespace Lepton.Pipeline;

/// <summary>
/// An upload of image folders, one folder per class (<c>{class}/{image}.png</c>, optionally under
/// <c>train/</c> and <c>test/</c>), turned into the four IDX files (gray [N,H,W] or color [N,3,H,W]),
/// labels.txt and image.json (the <see cref="ImageInputSpec"/> the model will be served with).
/// <list type="bullet">
/// <item>Channels: 1 when every image is gray, else 3 (RGB); size: the median shorter side, bounded
/// 16..224 (both overridable: <see cref="ImageFolderOptions"/>).</item>
/// <item>Each picture is decoded as the server decodes for the model (<see cref="ImageDecoder"/>): alpha
/// over white, the shorter side scaled to the size and the centre cropped. Color pictures are kept as
/// they are; gray ones are light-on-dark like MNIST (inverted when their border is light), as served.</item>
/// <item>Undecodable or truncated pictures are skipped and listed (<see cref="SkippedFile"/>); more than
/// 1% of them, or a class left empty, fails the upload naming them.</item>
/// </list>
/// Pictures are taken in the order of their paths. Without train/test folders a stratified sixth (fixed seed) is the test split. The prepared images are
/// held in memory, at most <see cref="MaxPreparedBytes"/>.
/// </summary>
public static class ImageFolders
{
    public const int MaxImages = 200_000;

    /// <summary>The most bytes the prepared images may take (count x C x H x W): 1 GiB.</summary>
    public const long MaxPreparedBytes = 1L << 30;

    /// <summary>The file beside the IDX files listing the skipped pictures, one "path: problem" a line.</summary>
    public const string SkippedFile = "skipped.txt";

    /// <summary>One image of the upload: its path inside it, its class folder, its split folder when there is one, its bytes.</summary>
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

    /// <summary>Writes the IDX files, labels.txt, image.json and (when any was skipped) skipped.txt for the images into <paramref name="folder"/>.</summary>
    public static ImageInputSpec WriteDataset(IReadOnlyList<Entry> images, string folder, ImageFolderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        options ??= new ImageFolderOptions();
        images = images.OrderBy(i => i.Path, StringComparer.Ordinal).ToArray(); // the same pictures give the same dataset, however listed
        string[] classes = images.Select(i => i.Class).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
        {
            throw new DatasetFormatException(folder, $"an image-folder archive needs at least two class folders, found {classes.Length}");
        }

        if (images.Count > MaxImages)
        {
            throw new DatasetFormatException(folder, $"{images.Count} images: at most {MaxImages} are accepted");
        }

        var (good, sides, color, skipped) = Survey(images, folder, classes);
        int size = options.Size ?? Math.Clamp(Median(sides), TrainingJobSpec.MinImageSize, TrainingJobSpec.MaxImageSize);
        int channels = options.Channels ?? (color ? 3 : 1);
        var spec = new ImageInputSpec(new ImageShape(channels, size, size), ResizePolicy.ShorterSideCenterCrop,
            channels == 1 ? ImagePolarity.LightOnDark : ImagePolarity.AsIs);
        if ((long)good.Count * spec.Shape.Values > MaxPreparedBytes)
        {
            throw new DatasetFormatException(folder,
                $"{good.Count} images of {spec.Shape} take {(long)good.Count * spec.Shape.Values} bytes; at most {MaxPreparedBytes} are prepared: choose a smaller image size");
        }

        int values = spec.Shape.Values;
        var pixels = new byte[good.Count * values];
        var labels = new byte[good.Count];
        for (int i = 0; i < good.Count; i++)
        {
            float[] decoded = ImageDecoder.Decode(good[i].Data, spec, ImageInversion.Auto, ImageDecoder.DefaultMaxPixels);
            for (int p = 0; p < decoded.Length; p++)
            {
                pixels[(i * values) + p] = (byte)Math.Clamp(MathF.Round(decoded[p] * 255f), 0, 255);
            }

            labels[i] = (byte)Array.IndexOf(classes, good[i].Class);
        }

        var all = new LabeledImages(new ImageArray(pixels, good.Count, size, size, channels), labels);
        int[] train, test;
        if (good.Any(i => i.Split is not null))
        {
            train = Enumerable.Range(0, good.Count).Where(i => good[i].Split != "test").ToArray();
            test = Enumerable.Range(0, good.Count).Where(i => good[i].Split == "test").ToArray();
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
        LeptonJson.WriteFile(Path.Combine(folder, MnistDataset.ImageFile), spec);
        if (skipped.Count > 0)
        {
            File.WriteAllLines(Path.Combine(folder, SkippedFile), skipped);
        }

        return spec;
    }

    /// <summary>
    /// Reads every picture's header and colours once: the decodable ones, their shorter sides, whether
    /// any has colour, and the skipped ones ("path: problem"); fails when more than 1% are skipped or a class is left empty.
    /// </summary>
    private static (List<Entry> Good, List<int> Sides, bool Color, List<string> Skipped) Survey(IReadOnlyList<Entry> images, string folder, string[] classes)
    {
        var good = new List<Entry>(images.Count);
        var sides = new List<int>(images.Count);
        var skipped = new List<string>();
        bool color = false;
        foreach (var image in images)
        {
            try
            {
                var (width, height) = ImageDecoder.Size(image.Data)
                    ?? throw new InputException(InputProblem.UnsupportedMediaType, "not a PNG or JPEG image");
                color |= ImageDecoder.HasColor(image.Data, ImageDecoder.DefaultMaxPixels);
                sides.Add(Math.Min(width, height));
                good.Add(image);
            }
            catch (InputException ex)
            {
                skipped.Add($"{image.Path}: {ex.Message}");
            }
        }

        if (skipped.Count * 100 > images.Count)
        {
            throw new DatasetFormatException(folder,
                $"{skipped.Count} of {images.Count} images cannot be read (at most 1% are skipped): {string.Join("; ", skipped.Take(10))}{(skipped.Count > 10 ? "; ..." : string.Empty)}");
        }

        string[] empty = classes.Where(c => !good.Any(i => i.Class == c)).ToArray();
        if (empty.Length > 0)
        {
            throw new DatasetFormatException(folder,
                $"class {string.Join(", ", empty)} has no readable image: {string.Join("; ", skipped.Take(10))}");
        }

        return (good, sides, color, skipped);
    }

    private static int Median(List<int> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }

    private static void Write(string folder, string images, string labels, LabeledImages data)
    {
        IdxFile.WriteImages(Path.Combine(folder, images + ".gz"), data.Images);
        IdxFile.Write(Path.Combine(folder, labels + ".gz"), [data.Count], data.Labels);
    }
}

/// <summary>How image folders are prepared, when the data should not decide (<see cref="TrainingJobSpec.ImageSize"/>, <see cref="TrainingJobSpec.Channels"/>).</summary>
/// <param name="Size">The height and width (null: the images' median shorter side, bounded 16..224).</param>
/// <param name="Channels">1 or 3 (null: 1 when every image is gray, else 3).</param>
public sealed record ImageFolderOptions(int? Size = null, int? Channels = null)
{
    /// <summary>The image settings of a job spec.</summary>
    public static ImageFolderOptions From(TrainingJobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new ImageFolderOptions(spec.ImageSize, spec.Channels);
    }
}
