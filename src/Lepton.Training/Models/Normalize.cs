using TorchSharp;
using static TorchSharp.torch;

namespace Lepton.Training.Models;

/// <summary>
/// (x - mean) / std as the model's first layer, so the model (and its ONNX export) takes plain
/// pixels in [0,1] and clients never need to know the training statistics.
/// </summary>
public sealed class Normalize : nn.Module<Tensor, Tensor>
{
    private readonly Tensor _mean;
    private readonly Tensor _std;

    public Normalize(float mean, float std) : base(nameof(Normalize))
    {
        _mean = torch.tensor(mean);
        _std = torch.tensor(std);
        register_buffer("mean", _mean);
        register_buffer("std", _std);
    }

    public float Mean => _mean.item<float>();

    public float Std => _std.item<float>();

    public override Tensor forward(Tensor input) => (input - _mean) / _std;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _mean.Dispose();
            _std.Dispose();
        }

        base.Dispose(disposing);
    }
}
