namespace Lepton.Core.Contracts;

/// <summary>
/// The tensor names and ONNX metadata keys of exported models. What a given model takes and gives is
/// its <see cref="ModelSignature"/> (stored under <see cref="ModelSignature.MetadataKey"/>); the older
/// keys below are still written for readers that predate it. Normalization is inside the graph.
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

    /// <summary>A transfer classifier whose pretrained backbone's last stage was trained too (<c>--fine-tune</c>): which stage.</summary>
    public const string FineTunedKey = "lepton.backbone.fineTuned";

    /// <summary>What the model does: a <see cref="ModelKind"/> in lower case (absent: classifier). Kept beside the signature for older readers.</summary>
    public const string KindKey = "lepton.kind";

    /// <summary>A generator's one input: float32 latent vectors [N,z], standard normal.</summary>
    public const string LatentInputName = "latent";

    /// <summary>A text classifier's one input: int64 token ids [N,T] (0 pads), from the tokenizer in its metadata.</summary>
    public const string TokensInputName = "tokens";

    /// <summary>A table classifier's one input: float32 features [N,F], from <c>TableFeaturizer</c>.</summary>
    public const string FeaturesInputName = "features";

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
