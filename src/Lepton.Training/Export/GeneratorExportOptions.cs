using Lepton.Core.Contracts;

namespace Lepton.Training.Export;

/// <summary>What the exporter writes beside a generator's graph: its latent size and image shape.</summary>
/// <param name="Labels">The dataset's labels; one label when trained on one class only.</param>
public sealed record GeneratorExportOptions(
    string Architecture,
    int LatentSize,
    IReadOnlyList<string> Labels,
    int Channels = 1,
    int Height = 28,
    int Width = 28)
{
    /// <summary>What the exported generator takes and gives (stored in its metadata).</summary>
    public ModelSignature Signature => ModelSignature.Generator(LatentSize, new ImageShape(Channels, Height, Width), Labels);

    /// <summary>Extra metadata entries (string values).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
