using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Lepton.Training.Models;

/// <summary>A dense baseline: flatten, dense 256 + ReLU, dense 128 + ReLU, dense classes.</summary>
public static class Mlp
{
    public const string Name = "mlp";

    public static readonly Architecture Definition = new(
        Name,
        "dense baseline: dense 256, dense 128, dense classes",
        Create);

    public static Module<Tensor, Tensor> Create(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Sequential(
            ("normalize", new Normalize(options.Normalization.Mean, options.Normalization.Std)),
            ("flatten", Flatten()),
            ("fc1", Linear(options.Channels * options.Height * options.Width, 256)),
            ("relu1", ReLU()),
            ("fc2", Linear(256, 128)),
            ("relu2", ReLU()),
            ("fc3", Linear(128, options.Classes)));
    }
}
