using Lepton.Core.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Lepton.Training.Training;

/// <summary>Labeled images held as tensors: pixels float32 [N,C,H,W] in [0,1] (or features [N,F]), labels int64 [N].</summary>
public sealed class TensorDataset : IDisposable
{
    public TensorDataset(LabeledImages data, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        Count = data.Count;
        Pixels = torch.tensor(data.Images.ToScaledFloats(), [data.Count, data.Images.Channels, data.Images.Rows, data.Images.Columns], device: device);
        Labels = torch.tensor(data.Labels.Select(l => (long)l).ToArray(), [data.Count], device: device);
        RawLabels = data.Labels;
    }

    /// <summary>Feature vectors [N,<paramref name="features"/>] (for a head on a frozen backbone) and their labels.</summary>
    public TensorDataset(float[] values, int features, byte[] labels, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(labels);
        Count = labels.Length;
        Pixels = torch.tensor(values, [labels.Length, features], device: device);
        Labels = torch.tensor(labels.Select(l => (long)l).ToArray(), [labels.Length], device: device);
        RawLabels = labels;
    }

    public int Count { get; }

    public Tensor Pixels { get; }

    public Tensor Labels { get; }

    public byte[] RawLabels { get; }

    public void Dispose()
    {
        Pixels.Dispose();
        Labels.Dispose();
    }
}
