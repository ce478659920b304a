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

    /// <summary>What the model does: <see cref="ClassifierKind"/> or <see cref="GeneratorKind"/> (absent: classifier).</summary>
    public const string KindKey = "lepton.kind";
    public const string ClassifierKind = "classifier";
    public const string GeneratorKind = "generator";

    /// <summary>A generator's one input: float32 latent vectors [N,z], standard normal.</summary>
    public const string LatentInputName = "latent";

    /// <summary>A generator's one output: float32 images [N,C,H,W] with values in [0,1].</summary>
    public const string ImageOutputName = "image";

    /// <summary>A generator's latent size z (an integer) and output shape [C,H,W] (JSON).</summary>
    public const string LatentSizeKey = "lepton.latent_size";
    public const string ImageShapeKey = "lepton.image_shape";

    /// <summary>The value of <see cref="InputKey"/>: what the input holds.</summary>
    public const string InputDescription = "grayscale pixels scaled to [0,1], light object on dark background, shape [N,1,H,W]";

    /// <summary>The value of <see cref="OutputKindKey"/>: raw scores; apply softmax for probabilities.</summary>
    public const string OutputDescription = "logits";
}
