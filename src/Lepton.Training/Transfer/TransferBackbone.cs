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
    /// features [N,512]; returns the features' value name.
    /// </summary>
    internal static string AppendFeatures(GraphBuilder g, string prefix, string input, int channels)
    {
        var (backbone, preprocess) = Graphs.Value;
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

        // The backbone's nodes and weights under the prefix; its input is our centered pixels.
        string backboneInput = backbone.Graph.Input.Single().Name;
        string Rename(string value) => value.Length == 0 ? value : value == backboneInput ? centered : $"{prefix}/{value}";
        foreach (var tensor in backbone.Graph.Initializer)
        {
            var copy = tensor.Clone();
            copy.Name = Rename(tensor.Name);
            g.AddInitializer(copy);
        }

        foreach (var node in backbone.Graph.Node)
        {
            var copy = new NodeProto { OpType = node.OpType, Name = Rename(node.Name.Length > 0 ? node.Name : node.Output[0]), Domain = node.Domain };
            copy.Input.AddRange(node.Input.Select(Rename));
            copy.Output.AddRange(node.Output.Select(Rename));
            // Opset 8's BatchNormalization 'spatial' (always 1 here) is gone from opset 17: drop it.
            copy.Attribute.AddRange(node.Attribute.Where(a => !(node.OpType == "BatchNormalization" && a.Name == "spatial")).Select(a => a.Clone()));
            g.AddNode(copy);
        }

        string pooled = Rename(backbone.Graph.Output.Single().Name);
        return g.Add("Flatten", [pooled], $"{prefix}.features", $"{prefix}.features", Int("axis", 1));
    }

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
