namespace Lepton.Core.Contracts;

/// <summary>
/// What every exported model promises its servers: one float32 input <c>pixels</c> [N,1,H,W] with
/// values in [0,1] (normalization is inside the graph), one output <c>logits</c> [N,classes], and
/// the metadata below (values are JSON).
/// </summary>
public static class ModelContract
{
    public const string InputName = "pixels";
    public const string OutputName = "logits";
    public const string BatchDimension = "batch";

    public const string LabelsKey = "lepton.labels";
    public const string NormalizationKey = "lepton.normalization";
    public const string ArchitectureKey = "lepton.architecture";
    public const string InputKey = "lepton.input";
    public const string OutputKindKey = "lepton.output";
    public const string OpsetKey = "lepton.opset";

    /// <summary>The value of <see cref="InputKey"/>: what the input holds.</summary>
    public const string InputDescription = "grayscale pixels scaled to [0,1], light object on dark background, shape [N,1,H,W]";

    /// <summary>The value of <see cref="OutputKindKey"/>: raw scores; apply softmax for probabilities.</summary>
    public const string OutputDescription = "logits";
}
