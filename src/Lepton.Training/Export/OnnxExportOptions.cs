using Lepton.Core.Contracts;
using Lepton.Core.Data;

namespace Lepton.Training.Export;

/// <summary>What the exporter writes beside the graph: the input geometry and the metadata a server needs.</summary>
public sealed record OnnxExportOptions(
    string Architecture,
    IReadOnlyList<string> Labels,
    Normalization Normalization,
    int Channels = 1,
    int Height = 28,
    int Width = 28)
{
    /// <summary>The ONNX operator set the graph uses.</summary>
    public const int Opset = 17;

    /// <summary>The IR version that goes with opset 17.</summary>
    public const long IrVersion = 8;

    /// <summary>How a picture is brought to the input's height and width (the prepared data's policy).</summary>
    public ResizePolicy Resize { get; init; } = ResizePolicy.Fit;

    /// <summary>What the model was trained to see (the prepared data's polarity).</summary>
    public ImagePolarity Polarity { get; init; } = ImagePolarity.LightOnDark;

    private readonly ModelSignature? _signature;

    /// <summary>
    /// What the exported classifier takes and gives (stored in its metadata): given for text and table
    /// models, else an image classifier of the options' shape, resize policy and polarity.
    /// </summary>
    public ModelSignature Signature
    {
        get => _signature ?? ModelSignature.ImageClassifier(new ImageInputSpec(new ImageShape(Channels, Height, Width), Resize, Polarity), Labels);
        init => _signature = value;
    }

    /// <summary>The options of a classifier of images prepared as <paramref name="image"/> says.</summary>
    public static OnnxExportOptions For(string architecture, IReadOnlyList<string> labels, Normalization normalization, ImageInputSpec image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new OnnxExportOptions(architecture, labels, normalization, image.Shape.Channels, image.Shape.Height, image.Shape.Width)
        {
            Resize = image.Resize,
            Polarity = image.Polarity,
        };
    }

    /// <summary>Extra metadata entries (string values).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
