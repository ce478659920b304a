using Lepton.Training.Export;
using Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Lepton.Training.Transfer;

/// <summary>
/// The backbone's last residual stage (<see cref="StageGraph"/>) as a TorchSharp module initialised from the
/// ONNX file's weights: the stage's own nodes run in order (Conv, BatchNormalization, Relu, Add, AveragePool),
/// then a flatten, so activations [N,256,14,14] become features [N,512] as in the ONNX graph. Convolution
/// weights and biases and the batch norms' scale and shift are trained; the batch norms keep the package's
/// running statistics (always used, in training too: with small batches of one dataset, updating ImageNet's
/// statistics would only add noise). The package's asymmetric "same" padding of the strided convolutions
/// (top/left 1, bottom/right 0) is an explicit pad before the convolution. <see cref="Weights"/> gives every
/// tensor back under the package's initializer name, for the exporter to write the trained stage.
/// </summary>
public sealed class BackboneStage : Module<Tensor, Tensor>
{
    private readonly StageGraph _stage;

    public BackboneStage(StageGraph stage) : base(nameof(BackboneStage))
    {
        ArgumentNullException.ThrowIfNull(stage);
        _stage = stage;
        var statistics = new HashSet<string>(stage.Nodes.Where(n => n.OpType == "BatchNormalization").SelectMany(n => n.Input.Skip(3)), StringComparer.Ordinal);
        foreach (var (name, proto) in stage.Weights)
        {
            var tensor = torch.tensor(StageGraph.Floats(proto), [.. proto.Dims]);
            if (statistics.Contains(name))
            {
                register_buffer(name, tensor);
            }
            else
            {
                register_parameter(name, new Parameter(tensor));
            }
        }
    }

    /// <summary>Every weight and statistic under the package's initializer name (the current module's tensors).</summary>
    public IReadOnlyDictionary<string, Tensor> Weights =>
        named_parameters().Select(p => (p.Item1, (Tensor)p.Item2)).Concat(named_buffers()).ToDictionary(p => p.Item1, p => p.Item2, StringComparer.Ordinal);

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var tensors = Weights;
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [_stage.Input] = input };
        Tensor In(NodeProto node, int i) => node.Input.Count > i && node.Input[i].Length > 0
            ? tensors.TryGetValue(node.Input[i], out var w) ? w : values[node.Input[i]]
            : null!;
        foreach (var node in _stage.Nodes)
        {
            values[node.Output[0]] = node.OpType switch
            {
                "Conv" => Conv(node, In(node, 0), In(node, 1), In(node, 2)),
                "BatchNormalization" => functional.batch_norm(In(node, 0), In(node, 3), In(node, 4), In(node, 1), In(node, 2), training: false,
                    eps: Attribute(node, "epsilon")?.F ?? 1e-5f),
                "Relu" => functional.relu(In(node, 0)),
                "Add" => In(node, 0) + In(node, 1),
                "AveragePool" => AveragePool(node, In(node, 0)),
                _ => throw new OnnxExportException($"the backbone's stage has a {node.OpType} node ({node.Name}): not supported"),
            };
        }

        return values[_stage.Output].flatten(1).MoveToOuterDisposeScope();
    }

    private static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    private static long[] Ints(NodeProto node, string name, long[] otherwise) => Attribute(node, name) is { } a ? [.. a.Ints] : otherwise;

    private static Tensor Conv(NodeProto node, Tensor x, Tensor weight, Tensor? bias)
    {
        if (Attribute(node, "group") is { I: not 1 } || Ints(node, "dilations", [1, 1]).Any(d => d != 1))
        {
            throw new OnnxExportException($"the backbone's convolution {node.Name} is grouped or dilated: not supported");
        }

        long[] strides = Ints(node, "strides", [1, 1]);
        long[] pads = Ints(node, "pads", [0, 0, 0, 0]); // top, left, bottom, right
        if (pads[0] == pads[2] && pads[1] == pads[3])
        {
            return functional.conv2d(x, weight, bias, strides: strides, padding: [pads[0], pads[1]]);
        }

        using var padded = functional.pad(x, [pads[1], pads[3], pads[0], pads[2]]);
        return functional.conv2d(padded, weight, bias, strides: strides, padding: [0, 0]);
    }

    private static Tensor AveragePool(NodeProto node, Tensor x)
    {
        if (Ints(node, "pads", [0, 0, 0, 0]).Any(p => p != 0))
        {
            throw new OnnxExportException($"the backbone's average pool {node.Name} is padded: not supported");
        }

        return functional.avg_pool2d(x, Ints(node, "kernel_shape", [1, 1]), Ints(node, "strides", [1, 1]));
    }
}
