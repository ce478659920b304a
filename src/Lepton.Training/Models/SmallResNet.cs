using Lepton.Core.Contracts;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Lepton.Training.Models;

/// <summary>
/// A small residual network trained from scratch: a 3x3 stem of 32 channels, three stages of two basic
/// residual blocks (32, 64 and 128 channels; the second and third halve the resolution), global average
/// pooling and a dense layer. The pooling makes it take any input size (at least 8x8 keeps the last stage
/// meaningful); augmentation and a cosine schedule by default.
/// </summary>
public static class SmallResNet
{
    public const string Name = "resnet";

    private static readonly (long Channels, long Stride)[] Stages = [(32, 1), (64, 2), (128, 2)];

    public static readonly Architecture Definition = new(
        Name,
        "residual: 3x3 stem 32, three stages of two basic residual blocks (32, 64/2, 128/2), global average pooling, dense classes",
        Create,
        UsesAugmentation: true,
        Schedule: LearningRateSchedule.Cosine);

    public static Module<Tensor, Tensor> Create(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var layers = new List<(string, Module<Tensor, Tensor>)>
        {
            ("normalize", new Normalize(options.Normalization.Mean, options.Normalization.Std)),
            ("stem", Conv2d(options.Channels, Stages[0].Channels, kernel_size: 3, padding: 1, bias: false)),
            ("stem_bn", BatchNorm2d(Stages[0].Channels)),
            ("stem_relu", ReLU()),
        };
        long channels = Stages[0].Channels;
        for (int s = 0; s < Stages.Length; s++)
        {
            var (width, stride) = Stages[s];
            layers.Add(($"stage{s + 1}", Sequential(
                ("block1", new ResidualBlock(channels, width, stride)),
                ("block2", new ResidualBlock(width, width, 1)))));
            channels = width;
        }

        layers.Add(("pool", new GlobalAveragePool()));
        layers.Add(("fc", Linear(channels, options.Classes)));
        return Sequential(layers);
    }
}
