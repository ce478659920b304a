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

    /// <summary>What the exported classifier takes and gives (stored in its metadata).</summary>
    public ModelSignature Signature => ModelSignature.ImageClassifier(new ImageInputSpec(new ImageShape(Channels, Height, Width)), Labels);

    /// <summary>Extra metadata entries (string values).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
