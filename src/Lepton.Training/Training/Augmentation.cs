using TorchSharp;
using static TorchSharp.torch;

namespace Lepton.Training.Training;

/// <summary>
/// Cheap, batch-level image augmentation: each image is flipped left-right with probability one half,
/// and the batch is shifted by up to two pixels each way (the borders of MNIST-style images are empty).
/// </summary>
public static class Augmentation
{
    private const int MaxShift = 2;

    public static Tensor Apply(Tensor batch, Generator generator)
    {
        ArgumentNullException.ThrowIfNull(batch);
        long n = batch.shape[0];
        using var flipMask = torch.rand([n, 1, 1, 1], generator: generator).lt(0.5).to(batch.device);
        var flipped = torch.where(flipMask, batch.flip(3), batch);
        using var shifts = torch.randint(-MaxShift, MaxShift + 1, [2], generator: generator);
        long dy = shifts[0].item<long>();
        long dx = shifts[1].item<long>();
        return dy == 0 && dx == 0 ? flipped : flipped.roll([dy, dx], [2, 3]);
    }
}
