using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lepton.Training.Models;

/// <summary>Which recurrent cell a <see cref="RecurrentClassifier"/> uses.</summary>
public enum RecurrentCell
{
    Gru,
    Lstm,
}

/// <summary>
/// Reads an image row by row, as a sequence of H steps of C*W features: the input normalization,
/// a stack of GRU or LSTM layers (batch first), and a dense layer on the last step's output.
/// </summary>
public sealed class RecurrentClassifier : nn.Module<Tensor, Tensor>
{
    private readonly Normalize normalize;
    private readonly nn.Module recurrent;
    private readonly Linear classifier;

    public RecurrentClassifier(RecurrentCell cell, int layers, ModelOptions options) : base(nameof(RecurrentClassifier))
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(layers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.HiddenSize, 1);
        Cell = cell;
        Layers = layers;
        HiddenSize = options.HiddenSize;
        Channels = options.Channels;
        Height = options.Height;
        Width = options.Width;
        normalize = new Normalize(options.Normalization.Mean, options.Normalization.Std);
        long features = (long)options.Channels * options.Width;
        recurrent = cell == RecurrentCell.Gru
            ? nn.GRU(features, options.HiddenSize, numLayers: layers, batchFirst: true)
            : nn.LSTM(features, options.HiddenSize, numLayers: layers, batchFirst: true);
        classifier = nn.Linear(options.HiddenSize, options.Classes);
        RegisterComponents();
    }

    public RecurrentCell Cell { get; }

    public int Layers { get; }

    public int HiddenSize { get; }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    /// <summary>The input normalization (the first layer).</summary>
    public Normalize Normalization => normalize;

    /// <summary>The dense output layer.</summary>
    public Linear Classifier => classifier;

    /// <summary>A recurrent weight or bias by its PyTorch name, e.g. <c>weight_ih_l0</c>, <c>bias_hh_l1</c>.</summary>
    public Tensor RecurrentParameter(string name) => Parameter(recurrent, name);

    /// <summary>A parameter of a GRU or LSTM layer by its PyTorch name (what the ONNX exporters regroup).</summary>
    internal static Tensor Parameter(nn.Module recurrent, string name) =>
        recurrent.named_parameters().FirstOrDefault(p => p.name == name).parameter
            ?? throw new KeyNotFoundException($"the recurrent layer has no parameter '{name}'");

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = normalize.call(input);
        long n = x.shape[0];
        // [N,C,H,W] -> [N,H,C,W] -> [N,H,C*W]: one step per row.
        var sequence = x.permute(0, 2, 1, 3).reshape(n, Height, (long)Channels * Width);
        var output = recurrent switch
        {
            GRU gru => gru.call(sequence).Item1,
            LSTM lstm => lstm.call(sequence).Item1,
            _ => throw new InvalidOperationException("unknown recurrent layer"),
        };
        var last = output.select(1, -1);
        return classifier.call(last).MoveToOuterDisposeScope();
    }
}
