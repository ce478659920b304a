namespace Lepton.Cards;

/// <summary>
/// Counts the float values of an ONNX model's initializers straight from the protobuf wire format
/// (ModelProto.graph = 7, GraphProto.initializer = 5, TensorProto.dims = 1, TensorProto.data_type = 2),
/// so a card needs no ONNX library: weights, biases, batch-norm statistics and the folded normalization;
/// and the float lists of node attributes (GraphProto.node = 1, NodeProto.attribute = 5, AttributeProto.floats = 7):
/// a tree ensemble's (tabular-gbdt) split thresholds and leaf weights, which live in its nodes, not in initializers.
/// </summary>
public static class OnnxParameters
{
    private const int FloatType = 1;

    public static long Count(ReadOnlySpan<byte> model)
    {
        long total = 0;
        foreach (var graph in Fields(model, 7))
        {
            foreach (var tensor in Fields(graph.Span, 5))
            {
                total += FloatValues(tensor.Span);
            }

            foreach (var node in Fields(graph.Span, 1))
            {
                foreach (var attribute in Fields(node.Span, 5))
                {
                    total += AttributeFloats(attribute.Span);
                }
            }
        }

        return total;
    }

    private static long FloatValues(ReadOnlySpan<byte> tensor)
    {
        long product = 1;
        int type = 0;
        int at = 0;
        while (at < tensor.Length)
        {
            ulong key = Varint(tensor, ref at);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            if (field == 1 && wire == 0)
            {
                product *= (long)Varint(tensor, ref at);
            }
            else if (field == 1 && wire == 2)
            {
                int length = (int)Varint(tensor, ref at), end = at + length;
                while (at < end)
                {
                    product *= (long)Varint(tensor, ref at);
                }
            }
            else if (field == 2 && wire == 0)
            {
                type = (int)Varint(tensor, ref at);
            }
            else
            {
                Skip(tensor, wire, ref at);
            }
        }

        return type == FloatType ? product : 0;
    }

    private static long AttributeFloats(ReadOnlySpan<byte> attribute)
    {
        long count = 0;
        int at = 0;
        while (at < attribute.Length)
        {
            ulong key = Varint(attribute, ref at);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            if (field == 7 && wire == 2)
            {
                int length = checked((int)Varint(attribute, ref at));
                count += length / sizeof(float); // packed
                at += length;
            }
            else if (field == 7 && wire == 5)
            {
                count++;
                at += 4;
            }
            else
            {
                Skip(attribute, wire, ref at);
            }
        }

        return count;
    }

    private static List<ReadOnlyMemory<byte>> Fields(ReadOnlySpan<byte> message, int wanted)
    {
        var found = new List<ReadOnlyMemory<byte>>();
        int at = 0;
        while (at < message.Length)
        {
            ulong key = Varint(message, ref at);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            if (field == wanted && wire == 2)
            {
                int length = checked((int)Varint(message, ref at));
                found.Add(message.Slice(at, length).ToArray());
                at += length;
            }
            else
            {
                Skip(message, wire, ref at);
            }
        }

        return found;
    }

    private static void Skip(ReadOnlySpan<byte> data, int wire, ref int at)
    {
        switch (wire)
        {
            case 0:
                Varint(data, ref at);
                break;
            case 1:
                at += 8;
                break;
            case 2:
                int length = checked((int)Varint(data, ref at)); // read before adding: `at +=` would add to the old position
                at += length;
                break;
            case 5:
                at += 4;
                break;
            default:
                throw new InvalidDataException($"not an ONNX model (protobuf wire type {wire})");
        }
    }

    private static ulong Varint(ReadOnlySpan<byte> data, ref int at)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (at >= data.Length)
            {
                throw new InvalidDataException("not an ONNX model (truncated)");
            }

            byte b = data[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw new InvalidDataException("not an ONNX model (bad varint)");
    }
}
