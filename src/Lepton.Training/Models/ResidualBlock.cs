using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Lepton.Training.Models;

/// <summary>
/// The basic residual block of ResNet: relu(main(x) + shortcut(x)), where main is conv 3x3 (stride s) + BN
/// + ReLU + conv 3x3 + BN, and the shortcut is the identity, or conv 1x1 (stride s) + BN when the
/// block changes the channel count or the resolution.
/// </summary>
public sealed class ResidualBlock : Module<Tensor, Tensor>
{
    private readonly Sequential main;
    private readonly Sequential? shortcut;

    public ResidualBlock(long input, long output, long stride) : base(nameof(ResidualBlock))
    {
        main = Sequential(
            ("conv1", Conv2d(input, output, kernel_size: 3, stride: stride, padding: 1, bias: false)),
            ("bn1", BatchNorm2d(output)),
            ("relu1", ReLU()),
            ("conv2", Conv2d(output, output, kernel_size: 3, padding: 1, bias: false)),
            ("bn2", BatchNorm2d(output)));
        shortcut = input == output && stride == 1
            ? null
            : Sequential(
                ("conv", Conv2d(input, output, kernel_size: 1, stride: stride, bias: false)),
                ("bn", BatchNorm2d(output)));
        RegisterComponents();
    }

    /// <summary>The residual branch.</summary>
    public Sequential Main => main;

    /// <summary>The projection of the input, or null for the identity.</summary>
    public Sequential? Shortcut => shortcut;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var skip = shortcut is null ? input : shortcut.call(input);
        return functional.relu(main.call(input) + skip).MoveToOuterDisposeScope();
    }
}

/// <summary>The mean over the spatial dimensions: [N,C,H,W] to [N,C], whatever H and W are.</summary>
public sealed class GlobalAveragePool() : Module<Tensor, Tensor>(nameof(GlobalAveragePool))
{
    public override Tensor forward(Tensor input) => input.mean([2, 3]);
}
