using Lepton.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Lepton.Training.Export;

/// <summary>
/// The text families as ONNX: the embedding a <c>Gather</c>, the padding mask from <c>tokens &gt; 0</c>,
/// masked mean (and for the recurrent family max) pooling with <c>ReduceSum</c>/<c>ReduceMax</c>, the
/// bidirectional recurrence one <c>GRU</c>/<c>LSTM</c> node with both directions' weights stacked (gates
/// regrouped as in <see cref="RecurrentExport"/>).
/// </summary>
internal static class TextExport
{
    public static string ExportBow(OnnxExporter.GraphBuilder g, string name, TextBowClassifier model, string input)
    {
        string embedded = Embed(g, name, model.Embedding.weight!, input);
        var (mask, count) = Mask(g, name, input);
        string mean = MaskedMean(g, name, embedded, mask, count);
        return OnnxExporter.ExportLinear(g, $"{name}.classifier", model.Classifier, mean);
    }

    public static string ExportRecurrent(OnnxExporter.GraphBuilder g, string name, TextRecurrentClassifier model, string input)
    {
        string embedded = Embed(g, name, model.Embedding.weight!, input);
        var (mask, count) = Mask(g, name, input);
        string steps = g.Add("Transpose", [embedded], $"{name}.steps", $"{name}.steps", OnnxExporter.Ints("perm", [1, 0, 2])); // [T,N,E]

        bool gru = model.Cell == RecurrentCell.Gru;
        int[] order = gru ? RecurrentExport.GruOrder : RecurrentExport.LstmOrder;
        int hidden = model.HiddenSize;
        string w = Stack(g, $"{name}.recurrent.W", model, "weight_ih_l0", order, hidden);
        string r = Stack(g, $"{name}.recurrent.R", model, "weight_hh_l0", order, hidden);
        string b = StackBiases(g, $"{name}.recurrent.B", model, order, hidden);
        var attributes = new List<Onnx.AttributeProto>
        {
            OnnxExporter.Int("hidden_size", hidden),
            OnnxExporter.Text("direction", "bidirectional"),
        };
        if (gru)
        {
            attributes.Add(OnnxExporter.Int("linear_before_reset", 1));
        }

        string y = $"{name}.recurrent.Y";
        g.AddMany(gru ? "GRU" : "LSTM", [steps, w, r, b], [y], $"{name}.recurrent", [.. attributes]);
        // Y [T,2,N,H] -> [N,T,2,H] -> [N,T,2H]: forward then reverse, as PyTorch concatenates them.
        string batchFirst = g.Add("Transpose", [y], $"{name}.outputs.t", $"{name}.outputs.t", OnnxExporter.Ints("perm", [2, 0, 1, 3]));
        string outputs = g.Add("Reshape", [batchFirst, g.Int64Constant($"{name}.outputs.shape", [0, 0, -1])], $"{name}.outputs", $"{name}.outputs");

        string mean = MaskedMean(g, name, outputs, mask, count);
        string one = g.Constant($"{name}.one", [1f], []);
        string penalty = g.Constant($"{name}.penalty", [TextRecurrentClassifier.MaskPenalty], []);
        string off = g.Add("Sub", [mask, one], $"{name}.mask.off", $"{name}.mask.off");
        string shift = g.Add("Mul", [off, penalty], $"{name}.mask.shift", $"{name}.mask.shift");
        string shifted = g.Add("Add", [outputs, shift], $"{name}.max.in", $"{name}.max.in");
        string max = g.Add("ReduceMax", [shifted], $"{name}.max", $"{name}.max", OnnxExporter.Ints("axes", [1]), OnnxExporter.Int("keepdims", 0));
        string pooled = g.Add("Concat", [mean, max], $"{name}.pooled", $"{name}.pooled", OnnxExporter.Int("axis", 1));
        return OnnxExporter.ExportLinear(g, $"{name}.classifier", model.Classifier, pooled);
    }

    /// <summary>tokens [N,T] -> embeddings [N,T,E].</summary>
    private static string Embed(OnnxExporter.GraphBuilder g, string name, Tensor weight, string input) =>
        g.Add("Gather", [g.Initializer($"{name}.embedding.weight", weight), input], $"{name}.embedded", $"{name}.embedding", OnnxExporter.Int("axis", 0));

    /// <summary>The mask [N,T,1] (1 for a unit, 0 for padding) and the unit count [N,1] (at least 1).</summary>
    private static (string Mask, string Count) Mask(OnnxExporter.GraphBuilder g, string name, string input)
    {
        string zero = g.Int64Constant($"{name}.pad", [0]);
        string present = g.Add("Greater", [input, zero], $"{name}.mask.bool", $"{name}.mask.greater");
        string flat = g.Add("Cast", [present], $"{name}.mask.float", $"{name}.mask.cast", OnnxExporter.Int("to", (long)Onnx.TensorProto.Types.DataType.Float));
        string mask = g.Add("Unsqueeze", [flat, g.Int64Constant($"{name}.axis2", [2])], $"{name}.mask", $"{name}.mask");
        string sum = g.Add("ReduceSum", [mask, g.Int64Constant($"{name}.axis1", [1])], $"{name}.count.raw", $"{name}.count.sum", OnnxExporter.Int("keepdims", 0));
        string count = g.Add("Max", [sum, g.Constant($"{name}.count.min", [1f], [])], $"{name}.count", $"{name}.count");
        return (mask, count);
    }

    private static string MaskedMean(OnnxExporter.GraphBuilder g, string name, string values, string mask, string count)
    {
        string masked = g.Add("Mul", [values, mask], $"{name}.{values}.masked", $"{name}.{values}.masked");
        string sum = g.Add("ReduceSum", [masked, $"{name}.axis1"], $"{name}.{values}.sum", $"{name}.{values}.sum", OnnxExporter.Int("keepdims", 0));
        return g.Add("Div", [sum, count], $"{name}.{values}.mean", $"{name}.{values}.mean");
    }

    /// <summary>Both directions' [gates*hidden, in] weights -> [2, gates*hidden, in] in ONNX's gate order.</summary>
    private static string Stack(OnnxExporter.GraphBuilder g, string name, TextRecurrentClassifier model, string parameter, int[] order, int hidden)
    {
        using var scope = NewDisposeScope();
        var directions = new[] { parameter, parameter + "_reverse" }
            .Select(p => torch.cat(order.Select(k => model.RecurrentParameter(p).detach().narrow(0, (long)k * hidden, hidden)).ToArray(), 0))
            .ToArray();
        return g.Initializer(name, torch.stack(directions, 0));
    }

    private static string StackBiases(OnnxExporter.GraphBuilder g, string name, TextRecurrentClassifier model, int[] order, int hidden)
    {
        using var scope = NewDisposeScope();
        var directions = new[] { string.Empty, "_reverse" }
            .Select(suffix => torch.cat(
                order.Select(k => model.RecurrentParameter("bias_ih_l0" + suffix).detach().narrow(0, (long)k * hidden, hidden))
                    .Concat(order.Select(k => model.RecurrentParameter("bias_hh_l0" + suffix).detach().narrow(0, (long)k * hidden, hidden)))
                    .ToArray(), 0))
            .ToArray();
        return g.Initializer(name, torch.stack(directions, 0));
    }
}
