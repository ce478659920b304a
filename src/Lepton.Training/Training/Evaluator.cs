using Lepton.Core.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace Lepton.Training.Training;

/// <summary>Loss, accuracy and scores of a model on a dataset, in evaluation mode under no-grad.</summary>
public static class Evaluator
{
    public sealed record Result(double Loss, double Accuracy, float[] Scores, int Classes);

    public static Result Evaluate(nn.Module<Tensor, Tensor> model, TensorDataset data, int batchSize = 512)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = torch.no_grad();
            double lossSum = 0;
            long correct = 0;
            var scores = new List<float>();
            int classes = 0;
            for (int start = 0; start < data.Count; start += batchSize)
            {
                using var scope = torch.NewDisposeScope();
                int length = Math.Min(batchSize, data.Count - start);
                var x = data.Pixels.narrow(0, start, length);
                var y = data.Labels.narrow(0, start, length);
                var logits = model.call(x);
                classes = (int)logits.shape[1];
                lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
                correct += logits.argmax(1).eq(y).sum().item<long>();
                scores.AddRange(logits.cpu().contiguous().data<float>().ToArray());
            }

            return new Result(lossSum / Math.Max(1, data.Count), (double)correct / Math.Max(1, data.Count), scores.ToArray(), classes);
        }
        finally
        {
            model.train(wasTraining);
        }
    }

    /// <summary>The full classification report (per-class precision/recall/F1, confusion matrix).</summary>
    public static ClassificationReport Report(Result result, TensorDataset data, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(data);
        return ClassificationReport.Compute(data.RawLabels, ClassificationReport.ArgMax(result.Scores, result.Classes), labels);
    }
}
