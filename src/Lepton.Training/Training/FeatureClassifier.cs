using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lepton.Training.Training;

/// <summary>
/// A trained classifier (a <see cref="Sequential"/> ending in a dense layer) read two ways: its
/// penultimate-layer activations as features, and its class probabilities.
/// </summary>
public sealed class FeatureClassifier(Sequential classifier)
{
    /// <summary>Features [N,D] and probabilities [N,classes] of images [N,C,H,W], batch by batch, on the CPU.</summary>
    public (Tensor Features, Tensor Probabilities) Read(Tensor images, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(images);
        var layers = classifier.children().Cast<nn.Module<Tensor, Tensor>>().ToArray();
        bool wasTraining = classifier.training;
        classifier.eval();
        try
        {
            using var noGrad = torch.no_grad();
            var features = new List<Tensor>();
            var probabilities = new List<Tensor>();
            for (long start = 0; start < images.shape[0]; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var x = images.narrow(0, start, Math.Min(batchSize, images.shape[0] - start));
                foreach (var layer in layers[..^1])
                {
                    x = layer.call(x);
                }

                features.Add(x.cpu().MoveToOuterDisposeScope());
                probabilities.Add(nn.functional.softmax(layers[^1].call(x), 1).cpu().MoveToOuterDisposeScope());
            }

            var result = (torch.cat(features, 0), torch.cat(probabilities, 0));
            features.ForEach(t => t.Dispose());
            probabilities.ForEach(t => t.Dispose());
            return result;
        }
        finally
        {
            classifier.train(wasTraining);
        }
    }
}
