using Lepton.Training.Export;
using Onnx;

namespace Lepton.Training.Transfer;

/// <summary>
/// The last residual stage (layer4) of the package's ResNet18 graph: the value entering it (the input of the
/// last strided 1x1 shortcut convolution), the number of nodes before it (the "front"), and its nodes to the
/// pooled output. The graph is topologically ordered, so the stage is the tail of its node list; every
/// value a stage node reads is the stage input, a weight, or made inside the stage (checked).
/// </summary>
public sealed record StageGraph(string Input, int FrontNodes, IReadOnlyList<NodeProto> Nodes, IReadOnlyDictionary<string, TensorProto> Weights, string Output)
{
    /// <summary>The activations entering the stage: channels, height and width (for a 224x224 input).</summary>
    public const int Channels = 256, Size = 14;

    /// <summary>Floats per image entering the stage (256 x 14 x 14 = 50,176: 200,704 bytes).</summary>
    public const int ValuesPerImage = Channels * Size * Size;

    internal static StageGraph Find(ModelProto backbone)
    {
        var nodes = backbone.Graph.Node;
        var shortcut = nodes.LastOrDefault(n => n.OpType == "Conv"
            && n.Attribute.Any(a => a.Name == "kernel_shape" && a.Ints.SequenceEqual([1L, 1L]))
            && n.Attribute.Any(a => a.Name == "strides" && a.Ints.SequenceEqual([2L, 2L])))
            ?? throw new OnnxExportException("the backbone has no strided 1x1 shortcut convolution: cannot find its last stage");
        string input = shortcut.Input[0];
        int front = nodes.ToList().FindIndex(n => n.Output.Contains(input)) + 1;
        var stageNodes = nodes.Skip(front).ToList();
        var initializers = backbone.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var known = new HashSet<string>(StringComparer.Ordinal) { input, string.Empty };
        var weights = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var node in stageNodes)
        {
            foreach (string value in node.Input)
            {
                if (initializers.TryGetValue(value, out var tensor))
                {
                    weights[value] = tensor;
                }
                else if (!known.Contains(value))
                {
                    throw new OnnxExportException($"the backbone's last stage reads '{value}' from before its input '{input}'");
                }
            }

            known.UnionWith(node.Output);
        }

        return new StageGraph(input, front, stageNodes, weights, backbone.Graph.Output.Single().Name);
    }

    /// <summary>A weight's values as floats (raw data or float data).</summary>
    public static float[] Floats(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return tensor.RawData.Length > 0
            ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray()
            : [.. tensor.FloatData];
    }
}
