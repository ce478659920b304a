using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Lepton.Training.Models;

/// <summary>
/// The CNN of the founding paper: conv 32@5x5 (valid) + ReLU, max-pool 2, conv 64@5x5 (valid) + ReLU,
/// max-pool 2, flatten, dense 128 + ReLU, dense to the classes. Trained with Adam.
/// </summary>
public static class SeedCnn
{
    public const string Name = "cnn";

    public static readonly Architecture Definition = new(
        Name,
        "the founding paper's CNN: conv 32@5x5, max-pool 2, conv 64@5x5, max-pool 2, dense 128, dense classes",
        Create);

    public static Module<Tensor, Tensor> Create(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        long h = ((options.Height - 4) / 2 - 4) / 2;
        long w = ((options.Width - 4) / 2 - 4) / 2;
        return Sequential(
            ("normalize", new Normalize(options.Normalization.Mean, options.Normalization.Std)),
            ("conv1", Conv2d(options.Channels, 32, kernel_size: 5)),
            ("relu1", ReLU()),
            ("pool1", MaxPool2d(kernel_size: 2)),
            ("conv2", Conv2d(32, 64, kernel_size: 5)),
            ("relu2", ReLU()),
            ("pool2", MaxPool2d(kernel_size: 2)),
            ("flatten", Flatten()),
            ("fc1", Linear(64 * h * w, 128)),
            ("relu3", ReLU()),
            ("fc2", Linear(128, options.Classes)));
    }
}
