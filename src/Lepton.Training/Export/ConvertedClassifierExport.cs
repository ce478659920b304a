using Google.Protobuf;
using Lepton.Core.Contracts;
using Onnx;

namespace Lepton.Training.Export;

/// <summary>
/// Brings a classifier graph another converter wrote (ML.NET's ConvertToOnnx for tabular-gbdt) under Lepton's
/// contract: one input <see cref="ModelContract.FeaturesInputName"/> float32 [N,F] with a dynamic batch, one
/// output <see cref="ModelContract.OutputName"/> float32 [N,classes] whose softmax is the converter's class
/// probabilities (the log of each probability, floored at <see cref="ProbabilityFloor"/>: softmax(log p) = p),
/// nothing the output does not need (the converter's predicted-label and unused outputs go, with their nodes),
/// and the metadata every Lepton classifier has (<see cref="OnnxExporter.AddClassifierMetadata"/>).
/// The converter's operator sets are kept (ML.NET: ai.onnx 12, ai.onnx.ml 2); Max and Log exist in both.
/// </summary>
public static class ConvertedClassifierExport
{
    /// <summary>The smallest probability the logits carry (log 1e-7 ≈ -16.1), so a class the trees rule out is finite.</summary>
    public const float ProbabilityFloor = 1e-7f;

    /// <param name="converted">The converter's model.</param>
    /// <param name="input">Its graph input holding the feature vector [N,F] (renamed to <see cref="ModelContract.FeaturesInputName"/>).</param>
    /// <param name="probabilities">Its graph output holding the class probabilities [N,classes], in <paramref name="options"/>' label order.</param>
    /// <param name="options">The architecture, labels and signature (a table classifier).</param>
    public static ModelProto ToContract(ModelProto converted, string input, string probabilities, OnnxExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(converted);
        ArgumentNullException.ThrowIfNull(options);
        var graph = converted.Graph ?? throw new OnnxExportException("the converted model has no graph");
        var signature = options.Signature;
        if (signature.Input.Kind != InputKind.Table)
        {
            throw new OnnxExportException($"converted classifiers are table classifiers; the signature's input is {signature.Input.Kind}");
        }

        int features = signature.Input.Table!.FeatureCount;
        int classes = options.Labels.Count;
        string inputName = ModelContract.FeaturesInputName;
        if (graph.Input.All(i => i.Name != input))
        {
            throw new OnnxExportException($"the converted model has no input '{input}' (inputs: {string.Join(", ", graph.Input.Select(i => i.Name))})");
        }

        if (graph.Output.All(o => o.Name != probabilities))
        {
            throw new OnnxExportException($"the converted model has no output '{probabilities}' (outputs: {string.Join(", ", graph.Output.Select(o => o.Name))})");
        }

        var taken = graph.Node.SelectMany(n => n.Output).Concat(graph.Initializer.Select(i => i.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (string name in new[] { inputName, ModelContract.OutputName })
        {
            if (taken.Contains(name))
            {
                throw new OnnxExportException($"the converted graph already has a value named '{name}'");
            }
        }

        // The input: renamed, and declared as the contract says (the converter may leave the batch unnamed).
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == input)
                {
                    node.Input[i] = inputName;
                }
            }
        }

        graph.Input.Clear();
        graph.Input.Add(OnnxExporter.FloatValue(inputName, [null, features]));

        // The output: log of the floored probabilities.
        string floor = "lepton.probability_floor";
        var floorTensor = new TensorProto { Name = floor, DataType = (int)TensorProto.Types.DataType.Float };
        floorTensor.FloatData.Add(ProbabilityFloor);
        graph.Initializer.Add(floorTensor);
        graph.Node.Add(Node("Max", [probabilities, floor], "lepton.floored", "lepton.floor"));
        graph.Node.Add(Node("Log", ["lepton.floored"], ModelContract.OutputName, "lepton.log"));
        graph.Output.Clear();
        graph.Output.Add(OnnxExporter.FloatValue(ModelContract.OutputName, [null, classes]));
        Prune(graph);
        if (graph.Node.SelectMany(n => n.Input).All(i => i != inputName))
        {
            throw new OnnxExportException($"the converted graph does not read its input '{input}'");
        }

        long opset = converted.OpsetImport.FirstOrDefault(o => string.IsNullOrEmpty(o.Domain))?.Version
            ?? throw new OnnxExportException("the converted model imports no default-domain operator set");
        string converter = $"{converted.ProducerName} {converted.ProducerVersion}".Trim();
        converted.ProducerName = "Lepton";
        converted.ProducerVersion = typeof(ConvertedClassifierExport).Assembly.GetName().Version?.ToString() ?? "0";
        converted.DocString = $"Lepton {options.Architecture} classifier (graph by {converter}): input '{inputName}' {OnnxExporter.InputDescription(signature)}; " +
            $"output '{ModelContract.OutputName}' [N,{classes}] log class probabilities (floored at {ProbabilityFloor:G}): softmax gives the probabilities.";
        converted.MetadataProps.Clear();
        OnnxExporter.AddClassifierMetadata(converted, options, opset);
        return converted;
    }

    /// <summary>Converts, then writes the file; returns the bytes written.</summary>
    public static byte[] Save(ModelProto converted, string input, string probabilities, OnnxExportOptions options, string path) =>
        OnnxExporter.Write(ToContract(converted, input, probabilities, options).ToByteArray(), path);

    private static NodeProto Node(string opType, string[] inputs, string output, string name)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        return node;
    }

    /// <summary>Drops the nodes, initializers and value infos the graph's outputs do not need (nodes are in topological order).</summary>
    private static void Prune(GraphProto graph)
    {
        var needed = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var kept = new List<NodeProto>();
        for (int i = graph.Node.Count - 1; i >= 0; i--)
        {
            var node = graph.Node[i];
            if (node.Output.Any(needed.Contains))
            {
                kept.Add(node);
                needed.UnionWith(node.Input.Where(n => n.Length > 0));
            }
        }

        kept.Reverse();
        graph.Node.Clear();
        graph.Node.AddRange(kept);
        var initializers = graph.Initializer.Where(t => needed.Contains(t.Name)).ToArray();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);
        var infos = graph.ValueInfo.Where(v => needed.Contains(v.Name)).ToArray();
        graph.ValueInfo.Clear();
        graph.ValueInfo.AddRange(infos);
    }
}
