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

    /// <summary>Examples of any input tensor (token ids, features): inputs [N,...], labels [N].</summary>
    public TensorDataset(Tensor inputs, byte[] labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        Count = labels.Length;
        Pixels = inputs;
        Labels = torch.tensor(labels.Select(l => (long)l).ToArray(), [labels.Length], device: inputs.device);
        RawLabels = labels;
    }

    /// <summary>Feature vectors [N,<paramref name="features"/>] (for a head on a frozen backbone) and their labels.</summary>
    public TensorDataset(float[] values, int features, byte[] labels, Device? device = null)
        : this(torch.tensor(values ?? throw new ArgumentNullException(nameof(values)), [labels?.Length ?? 0, features], device: device), labels!)
    {
    }

    public int Count { get; }

    /// <summary>The inputs: pixels [N,C,H,W] for images, token ids or features for rows.</summary>
    public Tensor Pixels { get; }

    public Tensor Labels { get; }

    public byte[] RawLabels { get; }

    public void Dispose()
    {
        Pixels.Dispose();
        Labels.Dispose();
    }
}
