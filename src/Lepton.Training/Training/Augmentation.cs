using TorchSharp;
using static TorchSharp.torch;

namespace Lepton.Training.Training;

/// <summary>
/// Cheap, batch-level image augmentation, by name (<see cref="Lepton.Core.Contracts.TrainingJobSpec.AugmentationNames"/>):
/// <c>flip</c>: each image mirrored left-right with probability one half; <c>shift</c>: the batch rolled by up to two
/// pixels each way (the borders of MNIST-style images are empty); <c>crop</c>: each image's random crop (a
/// 60..100% area, aspect 3:4..4:3) resized back, bilinear; <c>jitter</c>: each image's brightness, contrast and
/// saturation scaled by 0.8..1.2, clamped to [0,1]. Without names: flip and shift for gray images, crop, flip
/// and jitter for color ones.
/// </summary>
public static class Augmentation
{
    private const int MaxShift = 2;
    private const double MinCropArea = 0.6;
    private const double JitterStrength = 0.2;

    /// <summary>What augments gray images unless the job names others.</summary>
    public static readonly IReadOnlyList<string> GrayDefaults = ["flip", "shift"];

    /// <summary>What augments color images unless the job names others.</summary>
    public static readonly IReadOnlyList<string> ColorDefaults = ["crop", "flip", "jitter"];

    public static Tensor Apply(Tensor batch, Generator generator, IReadOnlyCollection<string>? kinds = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        kinds ??= batch.shape[1] == 3 ? ColorDefaults : GrayDefaults;
        using var scope = NewDisposeScope();
        var x = batch;
        if (kinds.Contains("crop"))
        {
            x = Crop(x, generator);
        }

        if (kinds.Contains("flip"))
        {
            var flipMask = torch.rand([x.shape[0], 1, 1, 1], generator: generator).lt(0.5).to(x.device);
            x = torch.where(flipMask, x.flip(3), x);
        }

        if (kinds.Contains("shift"))
        {
            var shifts = torch.randint(-MaxShift, MaxShift + 1, [2], generator: generator);
            long dy = shifts[0].item<long>();
            long dx = shifts[1].item<long>();
            x = dy == 0 && dx == 0 ? x : x.roll([dy, dx], [2, 3]);
        }

        if (kinds.Contains("jitter"))
        {
            x = Jitter(x, generator);
        }

        return ReferenceEquals(x, batch) ? x.alias().MoveToOuterDisposeScope() : x.MoveToOuterDisposeScope();
    }

    private static Tensor Crop(Tensor batch, Generator generator)
    {
        long n = batch.shape[0], h = batch.shape[2], w = batch.shape[3];
        var draws = torch.rand([n, 4], generator: generator, dtype: ScalarType.Float64).data<double>().ToArray();
        var crops = new Tensor[n];
        for (int i = 0; i < n; i++)
        {
            double area = MinCropArea + ((1 - MinCropArea) * draws[i * 4]);
            double aspect = Math.Exp(Math.Log(3.0 / 4) + (Math.Log(16.0 / 9) * draws[(i * 4) + 1]));
            long ch = Math.Clamp((long)Math.Round(h * Math.Sqrt(area / aspect)), 1, h);
            long cw = Math.Clamp((long)Math.Round(w * Math.Sqrt(area * aspect)), 1, w);
            long top = (long)((h - ch) * draws[(i * 4) + 2]);
            long left = (long)((w - cw) * draws[(i * 4) + 3]);
            var crop = batch.narrow(0, i, 1).narrow(2, top, ch).narrow(3, left, cw);
            crops[i] = ch == h && cw == w ? crop : nn.functional.interpolate(crop, [h, w], mode: InterpolationMode.Bilinear, align_corners: false);
        }

        return torch.cat(crops, 0);
    }

    private static Tensor Jitter(Tensor batch, Generator generator)
    {
        long n = batch.shape[0];
        Tensor Factor() => (1 - JitterStrength + (2 * JitterStrength * torch.rand([n, 1, 1, 1], generator: generator))).to(batch.device);
        var x = batch * Factor(); // brightness
        var mean = x.mean([1, 2, 3], keepdim: true);
        x = ((x - mean) * Factor()) + mean; // contrast
        if (x.shape[1] == 3)
        {
            var gray = x.mean([1], keepdim: true);
            x = ((x - gray) * Factor()) + gray; // saturation
        }

        return x.clamp(0, 1);
    }
}
