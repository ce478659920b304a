using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Lepton.Training.Models;

/// <summary>
/// A DCGAN for small images (height and width multiples of 4). Generator: latent [N,z] as [N,z,1,1],
/// transposed convolution to 128@(H/4)x(W/4) + batch norm + ReLU, to 64@(H/2)x(W/2) + batch norm + ReLU,
/// to C@HxW + sigmoid (pixels in [0,1]). Discriminator: pixels scaled to [-1,1], conv 64@4x4/2 +
/// LeakyReLU 0.2, conv 128@4x4/2 + batch norm + LeakyReLU 0.2, dense to one real/fake logit.
/// </summary>
public static class Dcgan
{
    public const string Name = "dcgan";

    public const double LeakySlope = 0.2;

    public static readonly Architecture Definition = new(
        Name,
        "generative adversarial: DCGAN generator (latent -> transposed convs + BN -> sigmoid image) and discriminator (convs + LeakyReLU)",
        CreateGenerator,
        CreateDiscriminator: CreateDiscriminator);

    public static Module<Tensor, Tensor> CreateGenerator(ModelOptions options)
    {
        Check(options);
        long z = options.LatentSize;
        return Sequential(
            ("unflatten", Unflatten(1, [z, 1, 1])),
            ("deconv1", ConvTranspose2d(z, 128, (options.Height / 4, options.Width / 4), bias: false)),
            ("bn1", BatchNorm2d(128)),
            ("relu1", ReLU()),
            ("deconv2", ConvTranspose2d(128, 64, 4, stride: 2, padding: 1, bias: false)),
            ("bn2", BatchNorm2d(64)),
            ("relu2", ReLU()),
            ("deconv3", ConvTranspose2d(64, options.Channels, 4, stride: 2, padding: 1)),
            ("sigmoid", Sigmoid()));
    }

    public static Module<Tensor, Tensor> CreateDiscriminator(ModelOptions options)
    {
        Check(options);
        return Sequential(
            ("normalize", new Normalize(0.5f, 0.5f)),
            ("conv1", Conv2d(options.Channels, 64, 4, stride: 2, padding: 1)),
            ("lrelu1", LeakyReLU(LeakySlope)),
            ("conv2", Conv2d(64, 128, 4, stride: 2, padding: 1, bias: false)),
            ("bn2", BatchNorm2d(128)),
            ("lrelu2", LeakyReLU(LeakySlope)),
            ("flatten", Flatten()),
            ("fc", Linear(128L * (options.Height / 4) * (options.Width / 4), 1)));
    }

    private static void Check(ModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Height % 4 != 0 || options.Width % 4 != 0)
        {
            throw new ArgumentException($"{Name} needs a height and width that are multiples of 4, not {options.Height}x{options.Width}", nameof(options));
        }
    }
}
