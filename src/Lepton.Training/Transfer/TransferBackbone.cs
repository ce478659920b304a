using Lepton.Training.Export;
using Onnx;
using static Lepton.Training.Export.OnnxExporter;

namespace Lepton.Training.Transfer;

/// <summary>
/// The frozen feature extractor of the <c>transfer</c> family: ML.NET's ImageNet ResNet18 (package
/// Microsoft.ML.DnnImageFeaturizer.ResNet18 0.24.0, MIT), an ONNX graph (opset 8) taking BGR pixels in 0..255
/// less a mean image, [1,3,224,224], to 512 pooled features [1,512,1,1]. <see cref="AppendFeatures"/> writes
/// into a Lepton graph what turns our input (pixels [N,C,H,W] in [0,1] at the data's size) into those
/// features: gray repeated to three channels, a bilinear resize to 224x224, the package's own
/// preprocessing (RGB to BGR, x255, less its mean image), the backbone's nodes renamed under a prefix, and
/// a flatten to [N,512]; the batch is dynamic. The featurizer the trainer runs and the exported classifier
/// share this one front, so the features a head was trained on are the ones it is served.
/// </summary>
public static class TransferBackbone
{
    /// <summary>The backbone's name, in metadata and feature cache keys.</summary>
    public const string Name = "resnet18-imagenet";

    /// <summary>The metadata key naming the backbone of an exported transfer classifier.</summary>
    public const string MetadataKey = "lepton.backbone";

    /// <summary>The featurizer's output name.</summary>
    public const string FeaturesName = "features";

    /// <summary>The metadata key of a transfer classifier whose last stage was trained (<c>--fine-tune</c>): which stage.</summary>
    public const string FineTunedKey = Lepton.Core.Contracts.ModelContract.FineTunedKey;

    /// <summary>The stage <c>--fine-tune</c> trains.</summary>
    public const string FineTunedStage = "layer4";

    /// <summary>The front's output name: the activations entering the last stage.</summary>
    public const string StageInputName = "stage_input";

    /// <summary>The side of the square the backbone takes.</summary>
    public const int InputSize = 224;

    /// <summary>The length of its feature vector.</summary>
    public const int Features = 512;

    /// <summary>Where the package's ONNX files are copied beside the program (Lepton.Training.csproj).</summary>
    public const string ModelsFolder = "DnnImageModels";

    private const string BackboneFile = "ResNet18Onnx/ResNet18.onnx";
    private const string PreprocessFile = "ResNetPrepOnnx/ResNetPreprocess.onnx";

    private static readonly Lazy<(ModelProto Backbone, ModelProto Preprocess)> Graphs = new(Load);

    /// <summary>The folder holding the package's ONNX files: beside the program.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, ModelsFolder);

    /// <summary>Whether the backbone's files are where <see cref="Folder"/> says.</summary>
    public static bool IsAvailable => File.Exists(Path.Combine(Folder, BackboneFile)) && File.Exists(Path.Combine(Folder, PreprocessFile));

    /// <summary>
    /// Appends the nodes from <paramref name="input"/> (pixels [N,<paramref name="channels"/>,H,W] in [0,1]) to the
    /// features [N,512]; returns the features' value name. <paramref name="stageWeights"/> (by the package's
    /// initializer names) replace the last stage's weights: a fine-tuned stage; null keeps the package's.
    /// </summary>
    internal static string AppendFeatures(GraphBuilder g, string prefix, string input, int channels, IReadOnlyDictionary<string, TorchSharp.torch.Tensor>? stageWeights = null) =>
        AppendStage(g, prefix, AppendFront(g, prefix, input, channels), stageWeights);

    /// <summary>
    /// Appends the nodes from <paramref name="input"/> (pixels [N,<paramref name="channels"/>,H,W] in [0,1]) to the
    /// activations entering the last residual stage, [N,256,14,14]; returns their value name.
    /// </summary>
    internal static string AppendFront(GraphBuilder g, string prefix, string input, int channels)
    {
        var (backbone, preprocess) = Graphs.Value;
        var stage = Stage.Value;
        string rgb = channels switch
        {
            3 => input,
            1 => g.Add("Concat", [input, input, input], $"{prefix}.rgb", $"{prefix}.rgb", Int("axis", 1)),
            _ => throw new OnnxExportException($"the {Name} backbone takes 1 or 3 channels, not {channels}"),
        };

        // Resize to 224x224 whatever the batch: sizes = [N, 3, 224, 224] from the input's shape.
        string shape = g.Add("Shape", [rgb], $"{prefix}.shape", $"{prefix}.shape");
        string batchAndChannels = g.Add("Slice", [shape, g.Int64Constant($"{prefix}.slice_start", [0]), g.Int64Constant($"{prefix}.slice_end", [2])],
            $"{prefix}.batch_channels", $"{prefix}.batch_channels");
        string sizes = g.Add("Concat", [batchAndChannels, g.Int64Constant($"{prefix}.target_size", [InputSize, InputSize])],
            $"{prefix}.sizes", $"{prefix}.sizes", Int("axis", 0));
        string resized = g.Add("Resize", [rgb, string.Empty, string.Empty, sizes], $"{prefix}.resized", $"{prefix}.resize",
            Text("mode", "linear"), Text("coordinate_transformation_mode", "half_pixel"));

        // The package's preprocessing graph, written out: RGB 0..255 -> BGR less the mean image.
        string scaled = g.Add("Mul", [resized, g.Constant($"{prefix}.255", [255f], [])], $"{prefix}.scaled", $"{prefix}.scale");
        string bgr = g.Add("Gather", [scaled, g.Int64Constant($"{prefix}.bgr_order", [2, 1, 0])], $"{prefix}.bgr", $"{prefix}.bgr", Int("axis", 1));
        var mean = preprocess.Graph.Initializer.Single(t => t.Name == "MeanImage").Clone();
        mean.Name = $"{prefix}.mean_image";
        g.AddInitializer(mean);
        string centered = g.Add("Sub", [bgr, mean.Name], $"{prefix}.centered", $"{prefix}.center");

        // The backbone's nodes up to the last stage, and their weights, under the prefix; its input is our centered pixels.
        string backboneInput = backbone.Graph.Input.Single().Name;
        string Rename(string value) => value.Length == 0 ? value : value == backboneInput ? centered : $"{prefix}/{value}";
        CopyNodes(g, backbone.Graph.Node.Take(stage.FrontNodes), Rename, null);
        return Rename(stage.Input);
    }

    /// <summary>
    /// Appends the last residual stage from <paramref name="stageInput"/> ([N,256,14,14]) to the pooled features,
    /// flattened to [N,512]; returns their value name.
    /// </summary>
    internal static string AppendStage(GraphBuilder g, string prefix, string stageInput, IReadOnlyDictionary<string, TorchSharp.torch.Tensor>? weights)
    {
        var (backbone, _) = Graphs.Value;
        var stage = Stage.Value;
        string Rename(string value) => value.Length == 0 ? value : value == stage.Input ? stageInput : $"{prefix}/{value}";
        CopyNodes(g, backbone.Graph.Node.Skip(stage.FrontNodes), Rename, weights);
        string pooled = Rename(backbone.Graph.Output.Single().Name);
        return g.Add("Flatten", [pooled], $"{prefix}.features", $"{prefix}.features", Int("axis", 1));
    }

    /// <summary>The package's last residual stage (layer4): its input, nodes and weights, for <see cref="BackboneStage"/>.</summary>
    public static StageGraph LastStage => Stage.Value;

    /// <summary>Copies <paramref name="nodes"/> and the initializers they read (renamed; replaced by <paramref name="weights"/> where given).</summary>
    private static void CopyNodes(GraphBuilder g, IEnumerable<NodeProto> nodes, Func<string, string> rename, IReadOnlyDictionary<string, TorchSharp.torch.Tensor>? weights)
    {
        var (backbone, _) = Graphs.Value;
        var initializers = backbone.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var copied = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            foreach (string input in node.Input)
            {
                if (initializers.TryGetValue(input, out var tensor) && copied.Add(input))
                {
                    if (weights is not null && weights.TryGetValue(input, out var trained))
                    {
                        g.Initializer(rename(input), trained);
                    }
                    else
                    {
                        var copy = tensor.Clone();
                        copy.Name = rename(input);
                        g.AddInitializer(copy);
                    }
                }
            }

            var nodeCopy = new NodeProto { OpType = node.OpType, Name = rename(node.Name.Length > 0 ? node.Name : node.Output[0]), Domain = node.Domain };
            nodeCopy.Input.AddRange(node.Input.Select(rename));
            nodeCopy.Output.AddRange(node.Output.Select(rename));
            // Opset 8's BatchNormalization 'spatial' (always 1 here) is gone from opset 17: drop it.
            nodeCopy.Attribute.AddRange(node.Attribute.Where(a => !(node.OpType == "BatchNormalization" && a.Name == "spatial")).Select(a => a.Clone()));
            g.AddNode(nodeCopy);
        }
    }

    private static readonly Lazy<StageGraph> Stage = new(() => StageGraph.Find(Graphs.Value.Backbone));

    private static (ModelProto, ModelProto) Load()
    {
        string backbone = Path.Combine(Folder, BackboneFile);
        string preprocess = Path.Combine(Folder, PreprocessFile);
        if (!File.Exists(backbone) || !File.Exists(preprocess))
        {
            throw new FileNotFoundException(
                $"the {Name} backbone is missing: {backbone} and {preprocess} come from NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 " +
                "(Lepton.Training.csproj copies them beside the program; build it again)");
        }

        return (ModelProto.Parser.ParseFrom(File.ReadAllBytes(backbone)), ModelProto.Parser.ParseFrom(File.ReadAllBytes(preprocess)));
    }
}
