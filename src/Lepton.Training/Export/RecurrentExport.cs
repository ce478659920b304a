using Lepton.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Lepton.Training.Export;

/// <summary>
/// A <see cref="RecurrentClassifier"/> as ONNX <c>GRU</c>/<c>LSTM</c> nodes, one per layer. PyTorch and
/// ONNX order the gates differently, so the weights are regrouped: GRU [r,z,n] becomes ONNX [z,r,h] (with
/// <c>linear_before_reset=1</c>, which is what PyTorch computes), LSTM [i,f,g,o] becomes ONNX [i,o,f,c];
/// the input and recurrence biases are concatenated into ONNX's one B = [Wb, Rb].
/// </summary>
internal static class RecurrentExport
{
    /// <summary>PyTorch gate blocks in the order ONNX wants them.</summary>
    internal static readonly int[] GruOrder = [1, 0, 2];
    internal static readonly int[] LstmOrder = [0, 3, 1, 2];

    public static string Export(OnnxExporter.GraphBuilder g, string name, RecurrentClassifier model, string input)
    {
        var norm = model.Normalization;
        string mean = g.Constant($"{name}.normalize.mean", [norm.Mean], []);
        string std = g.Constant($"{name}.normalize.std", [norm.Std], []);
        string centered = g.Add("Sub", [input, mean], $"{name}.normalize.centered", $"{name}.normalize.sub");
        string normalized = g.Add("Div", [centered, std], $"{name}.normalize", $"{name}.normalize");

        // [N,C,H,W] -> [H,N,C,W] -> [H,N,C*W]: ONNX recurrences take [sequence, batch, features].
        string steps = g.Add("Transpose", [normalized], $"{name}.steps", $"{name}.steps", OnnxExporter.Ints("perm", [2, 0, 1, 3]));
        string shape = g.Int64Constant($"{name}.sequence_shape", [0, 0, (long)model.Channels * model.Width]);
        string sequence = g.Add("Reshape", [steps, shape], $"{name}.sequence", $"{name}.sequence");

        bool gru = model.Cell == RecurrentCell.Gru;
        string op = gru ? "GRU" : "LSTM";
        int[] order = gru ? GruOrder : LstmOrder;
        string axis0 = g.Int64Constant($"{name}.axis0", [0]);
        string axis1 = g.Int64Constant($"{name}.axis1", [1]);
        string current = sequence;
        string lastHidden = string.Empty;
        for (int layer = 0; layer < model.Layers; layer++)
        {
            string layerName = $"{name}.recurrent.l{layer}";
            string w = Gates(g, $"{layerName}.W", model.RecurrentParameter($"weight_ih_l{layer}"), order, model.HiddenSize);
            string r = Gates(g, $"{layerName}.R", model.RecurrentParameter($"weight_hh_l{layer}"), order, model.HiddenSize);
            string b = Biases(g, $"{layerName}.B", model.RecurrentParameter($"bias_ih_l{layer}"), model.RecurrentParameter($"bias_hh_l{layer}"), order, model.HiddenSize);
            string y = $"{layerName}.Y";
            string yh = $"{layerName}.Y_h";
            var attributes = new List<Onnx.AttributeProto>
            {
                OnnxExporter.Int("hidden_size", model.HiddenSize),
                OnnxExporter.Text("direction", "forward"),
            };
            if (gru)
            {
                attributes.Add(OnnxExporter.Int("linear_before_reset", 1));
            }

            g.AddMany(op, [current, w, r, b], [y, yh], layerName, [.. attributes]);
            // Y is [H, directions=1, N, hidden]; the next layer reads [H, N, hidden].
            current = g.Add("Squeeze", [y, axis1], $"{layerName}.output", $"{layerName}.squeeze");
            lastHidden = yh;
        }

        // The last layer's final state Y_h [1, N, hidden] is the last step's output.
        string last = g.Add("Squeeze", [lastHidden, axis0], $"{name}.last", $"{name}.last");
        return OnnxExporter.ExportLinear(g, $"{name}.classifier", model.Classifier, last);
    }

    /// <summary>[gates*hidden, in] in PyTorch's order -> [1, gates*hidden, in] in ONNX's.</summary>
    private static string Gates(OnnxExporter.GraphBuilder g, string name, Tensor weight, int[] order, int hidden)
    {
        using var scope = NewDisposeScope();
        var blocks = order.Select(k => weight.detach().narrow(0, (long)k * hidden, hidden)).ToArray();
        return g.Initializer(name, torch.cat(blocks, 0).unsqueeze(0));
    }

    private static string Biases(OnnxExporter.GraphBuilder g, string name, Tensor inputBias, Tensor hiddenBias, int[] order, int hidden)
    {
        using var scope = NewDisposeScope();
        var blocks = order.Select(k => inputBias.detach().narrow(0, (long)k * hidden, hidden))
            .Concat(order.Select(k => hiddenBias.detach().narrow(0, (long)k * hidden, hidden)))
            .ToArray();
        return g.Initializer(name, torch.cat(blocks, 0).unsqueeze(0));
    }
}
