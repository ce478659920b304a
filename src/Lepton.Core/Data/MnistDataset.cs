using Lepton.Core.Contracts;

namespace Lepton.Core.Data;

/// <summary>
/// A dataset in the MNIST layout (shared by Fashion-MNIST): a folder with the four IDX files under
/// their standard names, gzipped or not (images [N,H,W] gray or [N,C,H,W] color), optionally a
/// <c>labels.txt</c> with one class name a line and an <c>image.json</c> saying how pictures were
/// brought to the images (<see cref="Image"/>).
/// </summary>
public sealed record MnistDataset(LabeledImages Train, LabeledImages Test, IReadOnlyList<string> LabelNames)
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";
    public const string LabelsFile = "labels.txt";

    /// <summary>The <see cref="ImageInputSpec"/> the images were prepared with, as JSON; a model trained on them gets it in its signature.</summary>
    public const string ImageFile = "image.json";

    /// <summary>
    /// The images' shape and how a picture becomes one: the folder's image.json, else, for IDX data
    /// without one, <see cref="DefaultImageSpec"/>.
    /// </summary>
    public ImageInputSpec Image { get; init; } = new(new ImageShape(1, 28, 28));

    /// <summary>
    /// How pictures become images of this shape when the data does not say: gray as MNIST (fitted,
    /// light on dark), color as image folders are prepared (shorter side and centre crop, as they are).
    /// </summary>
    public static ImageInputSpec DefaultImageSpec(ImageShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        return shape.Channels == 1
            ? new ImageInputSpec(shape, ResizePolicy.Fit, ImagePolarity.LightOnDark)
            : new ImageInputSpec(shape, ResizePolicy.ShorterSideCenterCrop, ImagePolarity.AsIs);
    }

    public static readonly IReadOnlyList<string> FashionMnistLabels =
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ];

    public static readonly IReadOnlyList<string> DigitLabels = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>The path of a standard file in the folder, gzipped or raw.</summary>
    public static string? FindFile(string folder, string baseName)
    {
        foreach (string candidate in new[] { baseName + ".gz", baseName })
        {
            string path = Path.Combine(folder, candidate);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>
    /// Loads and validates the folder. Label names come from <paramref name="labelNames"/>, else the
    /// folder's labels.txt, else the Fashion-MNIST names when the folder's name says fashion, else digits.
    /// </summary>
    public static MnistDataset Load(string folder, IReadOnlyList<string>? labelNames = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
        {
            throw new DatasetFormatException(folder, "dataset folder not found");
        }

        string Require(string name) => FindFile(folder, name)
            ?? throw new DatasetFormatException(Path.Combine(folder, name + "[.gz]"),
                "missing: a dataset folder holds train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may end in .gz)");

        IReadOnlyList<string> names = labelNames ?? LabelNamesOf(folder);
        var train = LoadPair(Require(TrainImages), Require(TrainLabels), names.Count);
        var test = LoadPair(Require(TestImages), Require(TestLabels), names.Count);
        var shape = new ImageShape(train.Images.Channels, train.Images.Rows, train.Images.Columns);
        if (new ImageShape(test.Images.Channels, test.Images.Rows, test.Images.Columns) != shape)
        {
            throw new DatasetFormatException(folder,
                $"the training images are {shape}, the test images [{test.Images.Channels},{test.Images.Rows},{test.Images.Columns}]");
        }

        string imagePath = Path.Combine(folder, ImageFile);
        ImageInputSpec image;
        try
        {
            image = File.Exists(imagePath) ? LeptonJson.ReadFile<ImageInputSpec>(imagePath) : DefaultImageSpec(shape);
        }
        catch (InvalidDataException ex)
        {
            throw new DatasetFormatException(imagePath, ex.Message);
        }

        if (image.Shape != shape)
        {
            throw new DatasetFormatException(imagePath, $"says the images are {image.Shape}; the IDX files hold {shape}");
        }

        return new MnistDataset(train, test, names) { Image = image };
    }

    /// <summary>Loads one images/labels pair and checks that they agree.</summary>
    public static LabeledImages LoadPair(string imagesPath, string labelsPath, int classCount)
    {
        var images = IdxFile.ReadImages(imagesPath);
        var labels = IdxFile.ReadLabels(labelsPath);
        if (images.Count != labels.Length)
        {
            throw new DatasetFormatException(labelsPath,
                $"label/image count mismatch: {labels.Length} labels for the {images.Count} images of {Path.GetFileName(imagesPath)}");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classCount)
            {
                throw new DatasetFormatException(labelsPath,
                    $"label out of range: example {i} has label {labels[i]}, but there are {classCount} classes (0..{classCount - 1})");
            }
        }

        return new LabeledImages(images, labels);
    }

    /// <summary>
    /// The class names of a dataset, decided here for every way it arrives: the folder's labels.txt, else
    /// the Fashion-MNIST names when the name it came by (<paramref name="sourceName"/>: the folder or
    /// archive a user gave; default the folder's own name) says fashion, else the digits.
    /// </summary>
    public static IReadOnlyList<string> LabelNamesOf(string folder, string? sourceName = null)
    {
        string labelsPath = Path.Combine(folder, LabelsFile);
        if (File.Exists(labelsPath))
        {
            var names = File.ReadAllLines(labelsPath).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            if (names.Length < 2)
            {
                throw new DatasetFormatException(labelsPath, "needs at least two class names, one a line");
            }

            return names;
        }

        string name = sourceName ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        return name.Contains("fashion", StringComparison.OrdinalIgnoreCase) ? FashionMnistLabels : DigitLabels;
    }
}
