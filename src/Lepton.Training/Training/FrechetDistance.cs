using TorchSharp;
using static TorchSharp.torch;

namespace Lepton.Training.Training;

/// <summary>
/// The Fréchet distance between two sets of feature vectors, each taken as a Gaussian:
/// |mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2)), computed in float64 with symmetric eigendecompositions
/// (Tr (S1 S2)^(1/2) = Tr (S1^(1/2) S2 S1^(1/2))^(1/2)).
/// </summary>
public static class FrechetDistance
{
    public static double Compute(Tensor first, Tensor second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        using var scope = NewDisposeScope();
        var a = first.detach().cpu().to(ScalarType.Float64);
        var b = second.detach().cpu().to(ScalarType.Float64);
        var (meanA, covA) = Moments(a);
        var (meanB, covB) = Moments(b);
        var rootA = SymmetricSqrt(covA);
        var middle = rootA.matmul(covB).matmul(rootA);
        middle = (middle + middle.t()) / 2;
        double crossTrace = torch.linalg.eigvalsh(middle).clamp_min(0).sqrt().sum().item<double>();
        double meanTerm = (meanA - meanB).pow(2).sum().item<double>();
        return meanTerm + covA.trace().item<double>() + covB.trace().item<double>() - (2 * crossTrace);
    }

    private static (Tensor Mean, Tensor Covariance) Moments(Tensor x)
    {
        if (x.shape.Length != 2 || x.shape[0] < 2)
        {
            throw new ArgumentException("expected at least two feature vectors [N,D]");
        }

        var mean = x.mean([0]);
        var centered = x - mean;
        return (mean, centered.t().matmul(centered) / (x.shape[0] - 1));
    }

    private static Tensor SymmetricSqrt(Tensor matrix)
    {
        var (values, vectors) = torch.linalg.eigh(matrix);
        return vectors.matmul(torch.diag(values.clamp_min(0).sqrt())).matmul(vectors.t());
    }
}
