using System.Text.Json;
using Google.Protobuf;
using Lepton.Core.Contracts;
using Onnx;

namespace Lepton.Tests;

/// <summary>
/// Small ONNX models written directly as protobuf, for serving tests that must not need TorchSharp:
/// pixels [N,1,28,28] -> Flatten -> Gemm -> logits [N,10], where class c sums the pixels whose index
/// is congruent to (c + shift) mod 10. An image lit only at such pixels is predicted as class c.
/// </summary>
internal static class TinyModels
{
    public static readonly string[] Labels = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    public static byte[] Linear(int shift = 0)
    {
        const int Pixels = 784, Classes = 10;
        var weights = new float[Classes * Pixels];
        for (int c = 0; c < Classes; c++)
        {
            for (int i = 0; i < Pixels; i++)
            {
                weights[(c * Pixels) + i] = i % Classes == (c + shift) % Classes ? 1f : 0f;
            }
        }

        return Gemm("tiny-linear", weights, new float[Classes]);
    }

    /// <summary>The side of the top-left square <see cref="Corner"/> reads.</summary>
    public const int CornerSize = 6;

    /// <summary>
    /// A model whose decision depends only on the top-left 6x6 corner: class 0 scores 8 x the corner's
    /// mean pixel, class 1 a constant 4, the others 0. With the corner lit it says "zero"; hiding part of
    /// the corner lowers that, hiding anything else changes nothing.
    /// </summary>
    public static byte[] Corner()
    {
        const int Pixels = 784, Classes = 10;
        var weights = new float[Classes * Pixels];
        for (int y = 0; y < CornerSize; y++)
        {
            for (int x = 0; x < CornerSize; x++)
            {
                weights[(y * 28) + x] = 8f / (CornerSize * CornerSize);
            }
        }

        var bias = new float[Classes];
        bias[1] = 4f;
        return Gemm("tiny-corner", weights, bias);
    }

    /// <summary>An image for <see cref="Corner"/>: the corner lit, and bright speckles everywhere else (which it ignores).</summary>
    public static float[] CornerImage()
    {
        var random = new Random(12);
        var pixels = new float[784];
        for (int i = 0; i < pixels.Length; i++)
        {
            bool corner = i / 28 < CornerSize && i % 28 < CornerSize;
            pixels[i] = corner ? 1f : random.NextSingle() < 0.3f ? 0.9f : 0f;
        }

        return pixels;
    }

    /// <summary>Whether pixel (y, x) is in the square <see cref="Corner"/> reads.</summary>
    public static bool InCorner(int y, int x) => y < CornerSize && x < CornerSize;

    private static byte[] Gemm(string name, float[] weights, float[] bias)
    {
        const int Pixels = 784;
        int classes = bias.Length;
        var graph = new GraphProto { Name = name };
        graph.Initializer.Add(Tensor("W", weights, classes, Pixels));
        graph.Initializer.Add(Tensor("B", bias, classes));
        graph.Node.Add(Node("Flatten", [ModelContract.InputName], "flat", new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 }));
        graph.Node.Add(Node("Gemm", ["flat", "W", "B"], ModelContract.OutputName, new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 }));
        graph.Input.Add(Value(ModelContract.InputName, null, 1, 28, 28));
        graph.Output.Add(Value(ModelContract.OutputName, null, classes));
        var model = new ModelProto { IrVersion = 8, ProducerName = "lepton-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        model.MetadataProps.Add(new StringStringEntryProto { Key = ModelContract.LabelsKey, Value = JsonSerializer.Serialize(Labels) });
        model.MetadataProps.Add(new StringStringEntryProto { Key = ModelContract.ArchitectureKey, Value = name });
        model.MetadataProps.Add(new StringStringEntryProto { Key = ModelContract.OpsetKey, Value = "17" });
        return model.ToByteArray();
    }

    /// <summary>
    /// A tiny generator: latent [N,4] -> MatMul [4,784] -> Sigmoid -> Reshape -> image [N,1,28,28], with
    /// the generator metadata. Pixel i of an image is sigmoid(z[i % 4] * ((i % 7) - 3) / 3).
    /// </summary>
    public static byte[] Generator()
    {
        const int Latent = 4, Pixels = 784;
        var weights = new float[Latent * Pixels];
        for (int i = 0; i < Pixels; i++)
        {
            weights[((i % Latent) * Pixels) + i] = ((i % 7) - 3) / 3f;
        }

        var graph = new GraphProto { Name = "tiny-generator" };
        graph.Initializer.Add(Tensor("W", weights, Latent, Pixels));
        var shape = new TensorProto { Name = "shape", DataType = (int)TensorProto.Types.DataType.Int64 };
        shape.Dims.Add(4);
        shape.Int64Data.AddRange([-1, 1, 28, 28]);
        graph.Initializer.Add(shape);
        graph.Node.Add(Node("MatMul", [ModelContract.LatentInputName, "W"], "flat", null));
        graph.Node.Add(Node("Sigmoid", ["flat"], "squashed", null));
        graph.Node.Add(Node("Reshape", ["squashed", "shape"], ModelContract.ImageOutputName, null));
        graph.Input.Add(Value(ModelContract.LatentInputName, null, Latent));
        graph.Output.Add(Value(ModelContract.ImageOutputName, null, 1, 28, 28));
        var model = new ModelProto { IrVersion = 8, ProducerName = "lepton-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        model.MetadataProps.Add(new StringStringEntryProto { Key = ModelContract.KindKey, Value = "generator" } /* the older keys, no signature: servers infer it */);
        model.MetadataProps.Add(new StringStringEntryProto { Key = ModelContract.LatentSizeKey, Value = "4" });
        model.MetadataProps.Add(new StringStringEntryProto { Key = ModelContract.ArchitectureKey, Value = "tiny-generator" });
        return model.ToByteArray();
    }

    /// <summary>An image (values in [0,1]) lit at the pixels class <paramref name="target"/> of <see cref="Linear"/> sums.</summary>
    /// <summary>
    /// A classifier that loads but cannot run: pixels [N,1,28,28] -> Flatten -> Gather of columns 1000..1009
    /// (past the 784 there are) -> logits [N,10]. ONNX Runtime accepts it and fails its first run.
    /// </summary>
    public static byte[] FailsAtRun()
    {
        var graph = new GraphProto { Name = "tiny-fails-at-run" };
        var indices = new TensorProto { Name = "columns", DataType = (int)TensorProto.Types.DataType.Int64 };
        indices.Dims.Add(10);
        indices.Int64Data.AddRange(Enumerable.Range(1000, 10).Select(i => (long)i));
        graph.Initializer.Add(indices);
        graph.Node.Add(Node("Flatten", [ModelContract.InputName], "flat", new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 }));
        graph.Node.Add(Node("Gather", ["flat", "columns"], ModelContract.OutputName, new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 1 }));
        graph.Input.Add(Value(ModelContract.InputName, null, 1, 28, 28));
        graph.Output.Add(Value(ModelContract.OutputName, null, 10));
        var model = new ModelProto { IrVersion = 8, ProducerName = "lepton-tests", Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 17 });
        return model.ToByteArray();
    }

    public static float[] ImageFor(int target, int shift = 0)
    {
        var pixels = new float[784];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = i % 10 == (target + shift) % 10 ? 1f : 0f;
        }

        return pixels;
    }

    private static TensorProto Tensor(string name, float[] data, params long[] dims)
    {
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(dims);
        tensor.FloatData.AddRange(data);
        return tensor;
    }

    private static NodeProto Node(string op, string[] inputs, string output, AttributeProto? attribute)
    {
        var node = new NodeProto { OpType = op, Name = op };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        if (attribute is not null)
        {
            node.Attribute.Add(attribute);
        }

        return node;
    }

    private static ValueInfoProto Value(string name, long? batch, params long[] dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(batch is long b ? new TensorShapeProto.Types.Dimension { DimValue = b } : new TensorShapeProto.Types.Dimension { DimParam = "batch" });
        foreach (long d in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
